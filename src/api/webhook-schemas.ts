/** JSON Schemas of /v1/webhooks (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { ALL_EVENTS, MAX_WEBHOOK_URL_LENGTH } from '../core/webhook-endpoints.js';
import { ALL_WEBHOOK_EVENTS } from '../core/webhook-events.js';
import { pageProperties } from './paging.js';
import { answer } from './schemas.js';

const bool = { type: 'boolean' } as const;
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

export const createWebhookBody = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: fields,
} as const;
export type CreateWebhookBody = FromSchema<typeof createWebhookBody>;

export const updateWebhookBody = { type: 'object', additionalProperties: false, properties: fields } as const;
export type UpdateWebhookBody = FromSchema<typeof updateWebhookBody>;

export const listWebhooksQuery = { type: 'object', properties: pageProperties() } as const;
export type ListWebhooksQuery = FromSchema<typeof listWebhooksQuery>;

/** webhooks.ts `webhookView`, and the secret in full in the answers of create and rotate-secret. */
export const webhookBody = answer(
  {
    id: { type: 'string', format: 'uuid' },
    url: { type: 'string' },
    events: {
      type: 'array',
      items: { type: 'string' },
      description: `The event names posted; ["${ALL_EVENTS}"] for every event, including those added later.`,
    },
    domain: fields.domain,
    tag: fields.tag,
    enabled: bool,
    human_only: bool,
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
    created_at: time,
    updated_at: time,
  },
  ['secret'],
);
