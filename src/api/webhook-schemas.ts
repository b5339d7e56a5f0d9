/** JSON Schemas of /v1/webhooks, with the examples the reference shows (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { ALL_EVENTS, MAX_WEBHOOK_URL_LENGTH } from '../core/webhook-endpoints.js';
import { ALL_WEBHOOK_EVENTS } from '../core/webhook-events.js';
import { pageProperties } from './paging.js';
import { answer, deletedAnswer, documented, idOf, idParamsOf } from './schemas.js';

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const fields = {
  url: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    description:
      'Where events are posted: an absolute https (or http) URL without credentials. It must lead to a public address.',
  },
  events: {
    type: ['array', 'null'],
    maxItems: 50,
    items: { type: 'string', maxLength: 64 },
    description: `Event names (${ALL_WEBHOOK_EVENTS.join(', ')}), or ["${ALL_EVENTS}"] or null for every event, including those added later. Every event when left out on create.`,
  },
  domain: {
    type: ['string', 'null'],
    maxLength: 253,
    description: 'Only events of emails sent from this domain; null for every domain.',
  },
  tag: { type: ['string', 'null'], maxLength: 256, description: 'Only events of emails with this tag; null for all.' },
  enabled: { type: 'boolean', description: 'Whether events are posted. Setting it to true clears disabled_reason.' },
  human_only: {
    type: 'boolean',
    description:
      'true: opens and clicks by machines (scanners, prefetchers) are not posted. Default false: they are, with their `bot` field.',
  },
} as const;

const createWebhookBody = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: fields,
} as const;
export type CreateWebhookBody = FromSchema<typeof createWebhookBody>;

const updateWebhookBody = { type: 'object', additionalProperties: false, properties: fields } as const;
export type UpdateWebhookBody = FromSchema<typeof updateWebhookBody>;

export const listWebhooksQuery = { type: 'object', properties: pageProperties() } as const;
export type ListWebhooksQuery = FromSchema<typeof listWebhooksQuery>;

/** webhooks.ts `webhookView`, and the secret in full in the answers of create and rotate-secret. */
const webhookBody = answer(
  {
    id: idOf("The endpoint's id."),
    url: { type: 'string', description: 'Where events are posted.' },
    events: {
      type: 'array',
      items: { type: 'string' },
      description: `The event names posted; ["${ALL_EVENTS}"] for every event, including those added later.`,
    },
    domain: fields.domain,
    tag: fields.tag,
    enabled: { type: 'boolean', description: 'Whether events are posted to it.' },
    human_only: { type: 'boolean', description: 'true: opens and clicks by machines are not posted to it.' },
    secret: {
      type: 'string',
      description: 'The signing secret (whsec_…): only in the answers of create and rotate-secret, never again.',
    },
    secret_hint: { type: 'string', description: 'The start of the signing secret, to tell secrets apart.' },
    previous_secret_expires_at: {
      ...nullableTime,
      description: 'After a rotation: until when the previous secret still signs, beside the new one; else null.',
    },
    disabled_reason: {
      type: ['string', 'null'],
      description: 'Why we disabled it (every attempt failed for 3 days); null when enabled or disabled by hand.',
    },
    failing_since: {
      ...nullableTime,
      description: 'The first failed attempt since the last success; null when the last attempt succeeded.',
    },
    created_at: { ...time, description: 'When it was added.' },
    updated_at: { ...time, description: 'When it was last changed.' },
  },
  ['secret'],
);

// The example: an endpoint of example.com's that wants deliveries and bounces.
export const EXAMPLE_WEBHOOK_ID = '019d6220-a5c0-7472-8dc7-b35e27cd8130';
const endpoint = {
  id: EXAMPLE_WEBHOOK_ID,
  url: 'https://example.com/taifa-events',
  events: ['email.delivered', 'email.bounced'],
  domain: null,
  tag: null,
  enabled: true,
  human_only: false,
  secret_hint: 'whsec_ov0l…',
  previous_secret_expires_at: null,
  disabled_reason: null,
  failing_since: null,
  created_at: '2026-04-06T09:30:00.000Z',
  updated_at: '2026-04-06T09:30:00.000Z',
};
const SECRET = 'whsec_ov0l1yM6/BQ5K7TZhEr0h4mJ7lhlkNKOH/tweMnR+C4=';
const ROTATED = 'whsec_XqOnaPSFIchnb/qc7X7BojErWdB7FG1+3QnIm3geFbM=';

export const createWebhookRequest = documented(createWebhookBody, 'The endpoint to add.', {
  url: 'https://example.com/taifa-events',
  events: ['email.delivered', 'email.bounced'],
});
export const createdWebhook = documented(webhookBody, 'The endpoint, with its signing secret: store it now.', {
  ...endpoint,
  secret: SECRET,
});
export const webhookPage = documented(
  { type: 'array', items: webhookBody },
  "One page of the account's endpoints, newest first.",
  [endpoint],
);
export const webhookAnswer = documented(webhookBody, 'The endpoint.', endpoint);
export const updateWebhookRequest = documented(updateWebhookBody, 'The fields to change; the others stay.', {
  events: ['email.delivered', 'email.bounced', 'email.complained'],
  human_only: true,
});
export const updatedWebhook = documented(webhookBody, 'The endpoint as changed.', {
  ...endpoint,
  events: ['email.delivered', 'email.bounced', 'email.complained'],
  human_only: true,
  updated_at: '2026-04-06T11:45:10.318Z',
});
export const rotatedWebhook = documented(
  webhookBody,
  'The endpoint with its new secret: store it now. The previous one signs beside it until previous_secret_expires_at.',
  {
    ...endpoint,
    secret: ROTATED,
    secret_hint: 'whsec_XqOn…',
    previous_secret_expires_at: '2026-04-07T12:00:00.000Z',
    updated_at: '2026-04-06T12:00:00.000Z',
  },
);
export const webhookParams = idParamsOf('endpoint', EXAMPLE_WEBHOOK_ID);
export const deletedWebhook = deletedAnswer('endpoint', EXAMPLE_WEBHOOK_ID);
