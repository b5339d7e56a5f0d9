/**
 * JSON Schemas of the API: Fastify's Ajv validates params, query strings and bodies with them, and the
 * OpenAPI document (/v1/openapi.json) is generated from them. The send body lives in
 * core/send-body-schema.ts, beside the rules a schema cannot express. Response schemas name every
 * property their route returns, and Fastify's serializer (fast-json-stringify) sends only what they
 * name: a field added to a view reaches clients only once its schema names it, and an internal one
 * added by mistake never does. Only free-form sub-objects (an event's metadata, an email's headers and
 * tracking, a recipient's last reply) stay open. test/api/response-schemas.test.ts holds each answer
 * against its view.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_SAVED_SEARCHES } from '../core/saved-searches.js';
import { sendEmailBody } from '../core/send-body-schema.js';

export { sendEmailBody };

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableBool = { type: ['boolean', 'null'] } as const;
const strings = { type: 'array', items: str } as const;
const nullableStrings = { type: ['array', 'null'], items: str } as const;
/** The ids this API gives out (UUIDv7). */
const id = { type: 'string', format: 'uuid' } as const;
/** Free-form: the serializer keeps every property of such an object, whatever its name. */
const nullableFreeForm = { type: ['object', 'null'], additionalProperties: true } as const;

/**
 * An answer object: `properties` are all it sends, and all are always there (null where the value can
 * be null) but those named in `optional`. Missing a required one is a serialisation error, not a
 * silently shorter answer.
 */
export function answer<const P extends Record<string, object>>(
  properties: P,
  optional: readonly (keyof P & string)[] = [],
) {
  return {
    type: 'object',
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  } as const;
}

/** `:id` in a path. A malformed id is a 422 naming `id`; a well-formed unknown one, the route's 404. */
export const idParams = { type: 'object', required: ['id'], properties: { id } } as const;
export type IdParams = FromSchema<typeof idParams>;

/** A string with something in it besides blanks (schema-errors says "must not be blank"). */
export const NOT_BLANK = '\\S';
/** One line without control characters (C0, DEL, C1): schema-errors says so. */
export const ONE_LINE = '^[^\\x00-\\x1F\\x7F-\\x9F]*$';

/** The API's error body, of every 4xx and 5xx answer. */
export const errorBody = {
  $id: 'Error',
  ...answer({ detail: str, code: str, errors: { type: 'array', items: answer({ field: str, error: str }) } }, [
    'errors',
  ]),
} as const;

/** POST /v1/emails/batch: the array is refused as a whole only when it is not a non-empty array. */
export const batchBody = {
  type: 'array',
  minItems: 1,
  items: sendEmailBody,
  description:
    'Each element is a send body, validated and accepted on its own: a faulty one gets {id: null, status: "error", rejection_reason} in results, the others go out. At most the plan\'s batch cap.',
} as const;

const emailStatus = {
  type: 'string',
  enum: ['scheduled', 'queued', 'deferred', 'sent', 'delivered', 'bounced', 'rejected', 'failed', 'cancelled'],
} as const;

/** The 202 of send and retry (core/accept-email.ts `Accepted`). */
export const acceptedBody = answer({
  id,
  status: {
    type: 'string',
    enum: ['queued', 'scheduled', 'rejected'],
    description: 'rejected: every recipient is on a suppression list, nothing will be sent.',
  },
  message_id: str,
  rejection_reason: {
    type: ['string', 'null'],
    description:
      'Why recipients were dropped: one sentence per suppressed recipient (the list, its scope and since when); null when none was.',
  },
});

export const batchAnswer = answer({
  total: int,
  sent: int,
  failed: int,
  results: {
    type: 'array',
    items: answer({
      id: { type: ['string', 'null'], format: 'uuid' },
      status: { type: 'string', enum: ['queued', 'scheduled', 'rejected', 'error'] },
      rejection_reason: nullableStr,
    }),
  },
});

/** core/validate-email.ts. */
export const validateAnswer = answer({
  valid: bool,
  can_send: bool,
  issues: {
    type: 'array',
    items: answer({
      field: {
        type: 'string',
        pattern: '^(account|from|limits|to|content|(to|cc|bcc)\\[\\d+\\])$',
        description:
          'account, from, limits, to, content; or to[i], cc[i], bcc[i] for a recipient on a suppression list.',
      },
      error: str,
    }),
  },
  plan: str,
  usage: answer({ daily: int, daily_limit: int, monthly: int, monthly_limit: int }),
});

/** email-views.ts `emailSummary`: the list shape. */
export const emailSummary = answer({
  id,
  from_address: str,
  to_addresses: strings,
  subject: str,
  status: emailStatus,
  source: str,
  opened_count: int,
  clicked_count: int,
  tags: nullableStrings,
  scheduled_at: nullableTime,
  created_at: time,
  sent_at: nullableTime,
  delivered_at: nullableTime,
  retry_of_id: { type: ['string', 'null'], format: 'uuid' },
});

/** GET /v1/emails/updates: a summary and when it last changed. */
export const emailUpdate = answer({ ...emailSummary.properties, updated_at: time });

/** GET /v1/emails/search: the fields of a summary that search answers with. */
export const searchResult = answer({
  id,
  from_address: str,
  to_addresses: strings,
  subject: str,
  status: emailStatus,
  tags: nullableStrings,
  source: str,
  created_at: time,
  delivered_at: nullableTime,
});

/** email-views.ts `eventView`. */
export const eventBody = answer({
  id,
  event_type: str,
  recipient: nullableStr,
  // Free-form: each event type records its own details (SMTP reply, bounce type, URL, user agent…).
  metadata: nullableFreeForm,
  created_at: time,
});

/** events.ts `accountEventView`: an event of GET /v1/events, with the email it belongs to. */
export const accountEventBody = answer({
  id,
  email_id: id,
  recipient: nullableStr,
  event_type: str,
  // Free-form: each event type records its own details (SMTP reply, bounce type, URL, user agent…).
  metadata: nullableFreeForm,
  bot: {
    type: ['string', 'null'],
    description:
      'Opens and clicks by machines: the kind of machine (apple, gmail, microsoft, proofpoint, mimecast, generic); null for a person and for other events.',
  },
  created_at: time,
});

/** email-views.ts `recipientView`. */
const recipientBody = answer({
  email: str,
  name: nullableStr,
  type: { type: 'string', enum: ['to', 'cc', 'bcc'] },
  status: emailStatus,
  attempts: int,
  // Free-form: the last SMTP reply as the delivery worker recorded it.
  last_reply: nullableFreeForm,
  last_attempt_at: nullableTime,
  next_attempt_at: nullableTime,
});

/** email-views.ts `emailDetail`: the detail shape, plus recipients and attachment metadata. */
export const emailDetail = answer({
  ...emailSummary.properties,
  cc_addresses: nullableStrings,
  bcc_addresses: nullableStrings,
  reply_to: nullableStr,
  text_body: nullableStr,
  html_body: nullableStr,
  // Free-form: the custom headers as sent, any names (values are strings, as the send body requires).
  headers: { type: 'object', additionalProperties: str },
  message_id: str,
  rejection_reason: nullableStr,
  opened_at: nullableTime,
  clicked_at: nullableTime,
  // Free-form: the send body's tracking options as given (open, click, pixel_position), or null for the domain's.
  tracking: nullableFreeForm,
  // The send body's unsubscribe override, or null for the domain's unsubscribe_links.
  unsubscribe: nullableBool,
  recipients: { type: 'array', items: recipientBody },
  attachments: { type: 'array', items: answer({ filename: str, content_type: str, size: int }) },
  events: { type: 'array', items: eventBody },
});

/** email-views.ts `scheduledView`: the scheduled-list shape. */
export const scheduledEmail = answer({
  id,
  from_address: str,
  to_addresses: strings,
  subject: str,
  status: emailStatus,
  tags: nullableStrings,
  scheduled_at: time,
  seconds_until_send: int,
  created_at: time,
});

/** A DNS record (core/domain-records.ts `DomainRecord` but `required`); the check adds found, matches, current_values.
 * */
const record = answer(
  {
    type: { type: 'string', enum: ['TXT', 'MX', 'CNAME'] },
    name: str,
    value: str,
    priority: int,
    purpose: { type: 'string', enum: ['dkim', 'spf', 'return_path', 'dmarc', 'tracking'] },
    status: { type: 'string', enum: ['pending', 'verified', 'missing', 'mismatch', 'temporary_failure'] },
    found: bool,
    matches: bool,
    current_values: strings,
  },
  ['priority', 'found', 'matches', 'current_values'],
);

/** domains.ts `domainView`. */
export const domainBody = answer({
  id,
  name: str,
  status: { type: 'string', enum: ['pending', 'verified', 'failed'] },
  records: { type: 'array', items: record },
  dkim_selector: str,
  return_path_host: str,
  open_tracking: bool,
  click_tracking: bool,
  pixel_position: { type: 'string', enum: ['top', 'bottom'] },
  tracking_host: nullableStr,
  unsubscribe_links: bool,
  created_at: time,
  verified_at: nullableTime,
  last_checked_at: nullableTime,
});
export const updateDomainBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    open_tracking: { type: 'boolean' },
    click_tracking: { type: 'boolean' },
    pixel_position: { type: 'string', enum: ['top', 'bottom'] },
    tracking_host: { type: ['string', 'null'], maxLength: 253 },
    unsubscribe_links: { type: 'boolean' },
  },
} as const;

export const createDomainBody = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 253, pattern: NOT_BLANK } },
} as const;
export type CreateDomainBody = FromSchema<typeof createDomainBody>;
export type UpdateDomainBody = FromSchema<typeof updateDomainBody>;

/** senders.ts `view`. */
export const senderBody = answer({ id, email: str, name: nullableStr, domain_id: id, created_at: time });
export const createSenderBody = {
  type: 'object',
  required: ['email'],
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 254, pattern: NOT_BLANK },
    name: { type: ['string', 'null'], maxLength: 256, pattern: ONE_LINE },
  },
} as const;
export type CreateSenderBody = FromSchema<typeof createSenderBody>;

/** api-keys.ts `view`, and the key itself in the answer to POST. */
export const apiKeyBody = answer(
  {
    id,
    name: str,
    prefix: str,
    key: { type: 'string', description: 'Only in the answer to POST, never again.' },
    created_at: time,
    last_used_at: nullableTime,
  },
  ['key'],
);
export const createApiKeyBody = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 100, pattern: NOT_BLANK } },
} as const;
export type CreateApiKeyBody = FromSchema<typeof createApiKeyBody>;

export const deletedBody = answer({ id, deleted: bool });
/** Cancel (cancelled) and send-now (queued) of a scheduled email. */
export const statusBody = answer({ id, status: { type: 'string', enum: ['cancelled', 'queued'] } });

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
/**
 * core/saved-searches.ts `SavedSearch`, as stored: a filter missing from an entry stored by an older
 * version is left out of the answer rather than failing it.
 */
export const savedSearchesAnswer = answer({
  searches: {
    type: 'array',
    items: answer(
      {
        id: str,
        name: str,
        query: nullableStr,
        range: nullableStr,
        status: nullableStr,
        domain: nullableStr,
        source: nullableStr,
      },
      ['query', 'range', 'status', 'domain', 'source'],
    ),
  },
});

/** GET /healthz. */
export const healthBody = answer({
  status: { type: 'string', enum: ['ok'] },
  sandbox: bool,
  delivery: { type: 'string', enum: ['direct', 'relay', 'sandbox'] },
});

/** Standard error answers, referenced from every route. */
export function withErrors<T extends Record<number, unknown>>(ok: T, ...codes: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = { ...ok };
  for (const c of [401, ...codes]) out[c] = { $ref: 'Error#' };
  return out;
}
