/**
 * JSON Schemas of the API: Fastify's Ajv validates params, query strings and bodies with them, and the
 * OpenAPI document (/v1/openapi.json) is generated from them. The send body lives in
 * core/send-body-schema.ts, beside the rules a schema cannot express. Response schemas allow extra
 * properties so that serialisation can never drop a field.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_SAVED_SEARCHES } from '../core/saved-searches.js';
import { sendEmailBody } from '../core/send-body-schema.js';

export { sendEmailBody };

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const open = { additionalProperties: true } as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: str } } as const;
export type IdParams = FromSchema<typeof idParams>;

/** A string with something in it besides blanks (schema-errors says "must not be blank"). */
export const NOT_BLANK = '\\S';
/** One line: no CR or LF (schema-errors says "must be one line"). */
export const ONE_LINE = '^[^\\r\\n]*$';

export const errorBody = {
  $id: 'Error',
  type: 'object',
  ...open,
  properties: {
    detail: str,
    code: str,
    errors: { type: 'array', items: { type: 'object', properties: { field: str, error: str } } },
  },
} as const;

/** POST /v1/emails/batch: the array is refused as a whole only when it is not a non-empty array. */
export const batchBody = {
  type: 'array',
  minItems: 1,
  items: sendEmailBody,
  description:
    'Each element is a send body, validated and accepted on its own: a faulty one gets {id: null, status: "error", rejection_reason} in results, the others go out. At most the plan\'s batch cap.',
} as const;

export const acceptedBody = {
  type: 'object',
  ...open,
  properties: {
    id: str,
    status: { type: 'string', enum: ['queued', 'scheduled'] },
    message_id: str,
    rejection_reason: nullableStr,
  },
} as const;

export const batchAnswer = {
  type: 'object',
  ...open,
  properties: {
    total: { type: 'integer' },
    sent: { type: 'integer' },
    failed: { type: 'integer' },
    results: {
      type: 'array',
      items: { type: 'object', ...open, properties: { id: nullableStr, status: str, rejection_reason: nullableStr } },
    },
  },
} as const;

export const validateAnswer = {
  type: 'object',
  ...open,
  properties: {
    valid: { type: 'boolean' },
    can_send: { type: 'boolean' },
    plan: str,
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string', enum: ['account', 'from', 'limits', 'to', 'content'] }, error: str },
      },
    },
    usage: {
      type: 'object',
      properties: {
        daily: { type: 'integer' },
        daily_limit: { type: 'integer' },
        monthly: { type: 'integer' },
        monthly_limit: { type: 'integer' },
      },
    },
  },
} as const;

export const emailSummary = {
  type: 'object',
  ...open,
  properties: {
    id: str,
    from_address: str,
    to_addresses: { type: 'array', items: str },
    subject: str,
    status: str,
    source: str,
    opened_count: { type: 'integer' },
    clicked_count: { type: 'integer' },
    tags: { type: ['array', 'null'], items: str },
    scheduled_at: nullableTime,
    created_at: time,
    sent_at: nullableTime,
    delivered_at: nullableTime,
    retry_of_id: nullableStr,
  },
} as const;

export const eventBody = {
  type: 'object',
  ...open,
  properties: {
    id: str,
    event_type: str,
    recipient: nullableStr,
    metadata: { type: ['object', 'null'], additionalProperties: true },
    created_at: time,
  },
} as const;

export const emailDetail = {
  type: 'object',
  ...open,
  properties: {
    ...emailSummary.properties,
    cc_addresses: { type: ['array', 'null'], items: str },
    bcc_addresses: { type: ['array', 'null'], items: str },
    reply_to: nullableStr,
    text_body: nullableStr,
    html_body: nullableStr,
    headers: { type: 'object', additionalProperties: str },
    message_id: str,
    rejection_reason: nullableStr,
    opened_at: nullableTime,
    clicked_at: nullableTime,
    tracking: { type: ['object', 'null'], additionalProperties: true },
    recipients: {
      type: 'array',
      items: {
        type: 'object',
        ...open,
        properties: {
          email: str,
          name: nullableStr,
          type: { type: 'string', enum: ['to', 'cc', 'bcc'] },
          status: str,
          attempts: { type: 'integer' },
          last_reply: { type: ['object', 'null'], additionalProperties: true },
          last_attempt_at: nullableTime,
          next_attempt_at: nullableTime,
        },
      },
    },
    attachments: {
      type: 'array',
      items: { type: 'object', properties: { filename: str, content_type: str, size: { type: 'integer' } } },
    },
    events: { type: 'array', items: eventBody },
  },
} as const;

export const scheduledEmail = {
  type: 'object',
  ...open,
  properties: {
    id: str,
    from_address: str,
    to_addresses: { type: 'array', items: str },
    subject: str,
    status: str,
    tags: { type: ['array', 'null'], items: str },
    scheduled_at: time,
    seconds_until_send: { type: 'integer' },
    created_at: time,
  },
} as const;

const record = {
  type: 'object',
  ...open,
  properties: {
    type: { type: 'string', enum: ['TXT', 'MX', 'CNAME'] },
    name: str,
    value: str,
    priority: { type: 'integer' },
    purpose: { type: 'string', enum: ['dkim', 'spf', 'return_path', 'dmarc', 'tracking'] },
    status: { type: 'string', enum: ['pending', 'verified', 'missing', 'mismatch', 'temporary_failure'] },
    found: { type: 'boolean' },
    matches: { type: 'boolean' },
    current_values: { type: 'array', items: str },
  },
} as const;

export const domainBody = {
  type: 'object',
  ...open,
  properties: {
    id: str,
    name: str,
    status: { type: 'string', enum: ['pending', 'verified', 'failed'] },
    records: { type: 'array', items: record },
    dkim_selector: str,
    return_path_host: str,
    open_tracking: { type: 'boolean' },
    click_tracking: { type: 'boolean' },
    pixel_position: { type: 'string', enum: ['top', 'bottom'] },
    tracking_host: nullableStr,
    created_at: time,
    verified_at: nullableTime,
    last_checked_at: nullableTime,
  },
} as const;

export const updateDomainBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    open_tracking: { type: 'boolean' },
    click_tracking: { type: 'boolean' },
    pixel_position: { type: 'string', enum: ['top', 'bottom'] },
    tracking_host: { type: ['string', 'null'], maxLength: 253 },
  },
} as const;

export const createDomainBody = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 253, pattern: NOT_BLANK } },
} as const;
export type CreateDomainBody = FromSchema<typeof createDomainBody>;
export type UpdateDomainBody = FromSchema<typeof updateDomainBody>;

export const senderBody = {
  type: 'object',
  ...open,
  properties: { id: str, email: str, name: nullableStr, domain_id: str, created_at: time },
} as const;
export const createSenderBody = {
  type: 'object',
  required: ['email'],
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 254, pattern: NOT_BLANK },
    name: { type: ['string', 'null'], maxLength: 256, pattern: ONE_LINE },
  },
} as const;
export type CreateSenderBody = FromSchema<typeof createSenderBody>;

export const apiKeyBody = {
  type: 'object',
  ...open,
  properties: {
    id: str,
    name: str,
    prefix: str,
    key: { type: 'string', description: 'Only in the answer to POST, never again.' },
    created_at: time,
    last_used_at: nullableTime,
  },
} as const;
export const createApiKeyBody = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 100, pattern: NOT_BLANK } },
} as const;
export type CreateApiKeyBody = FromSchema<typeof createApiKeyBody>;

export const deletedBody = { type: 'object', ...open, properties: { id: str, deleted: { type: 'boolean' } } } as const;
export const statusBody = { type: 'object', ...open, properties: { id: str, status: str } } as const;

const filter = { type: ['string', 'null'], maxLength: 500 } as const;
const savedSearch = {
  type: 'object',
  required: ['name'],
  properties: {
    id: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 64,
      description: "Keep an entry's id to keep it; new entries get one.",
    },
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: NOT_BLANK },
    query: filter,
    range: filter,
    status: filter,
    domain: filter,
    source: filter,
  },
} as const;
export const savedSearchesBody = {
  type: 'object',
  required: ['searches'],
  properties: { searches: { type: 'array', maxItems: MAX_SAVED_SEARCHES, items: savedSearch } },
} as const;
export type SavedSearchesBody = FromSchema<typeof savedSearchesBody>;
export const savedSearchesAnswer = {
  type: 'object',
  ...open,
  properties: { searches: { type: 'array', items: { ...savedSearch, ...open } } },
} as const;

/** Standard error answers, referenced from every route. */
export function withErrors<T extends Record<number, unknown>>(ok: T, ...codes: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = { ...ok };
  for (const c of [401, ...codes]) out[c] = { $ref: 'Error#' };
  return out;
}
