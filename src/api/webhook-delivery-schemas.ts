/** JSON Schemas of an endpoint's deliveries (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { ALL_WEBHOOK_EVENTS } from '../core/webhook-events.js';
import { pageProperties } from './paging.js';
import { answer } from './schemas.js';

const id = { type: 'string', format: 'uuid' } as const;
const nullableInt = { type: ['integer', 'null'] } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const status = { type: 'string', enum: ['pending', 'succeeded', 'failed'] } as const;

export const attemptBody = answer({
  attempted_at: time,
  duration_ms: { type: 'integer' },
  status_code: { type: ['integer', 'null'], description: 'The HTTP status answered; null when none was.' },
  error: { type: ['string', 'null'], description: 'Why it failed, when it did.' },
  response_body: { type: ['string', 'null'], description: 'The first 1 KiB of the response body.' },
});

export const deliveryBody = answer({
  id: { ...id, description: 'Also the `webhook-id` header, the same on every attempt.' },
  webhook_id: id,
  event_id: { type: ['string', 'null'], description: 'The event it carries; null for a test send.' },
  event_type: { type: 'string' },
  status: {
    ...status,
    description: 'pending (an attempt is due), succeeded (2xx), failed (406, or every retry used up).',
  },
  attempt_count: { type: 'integer' },
  next_attempt_at: { ...nullableTime, description: 'When the next attempt is due, while pending.' },
  last_attempt_at: nullableTime,
  last_status_code: nullableInt,
  last_error: nullableStr,
  payload: { type: 'object', additionalProperties: true, description: 'The JSON body posted.' },
  attempts: { type: 'array', items: attemptBody },
  created_at: time,
});

export const deliveryParams = {
  type: 'object',
  required: ['id', 'delivery_id'],
  properties: { id, delivery_id: id },
} as const;
export type DeliveryParams = FromSchema<typeof deliveryParams>;

export const deliveriesQuery = {
  type: 'object',
  properties: { status, ...pageProperties() },
} as const;
export type DeliveriesQuery = FromSchema<typeof deliveriesQuery>;

export const testBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    event: {
      type: 'string',
      enum: ALL_WEBHOOK_EVENTS,
      default: 'email.delivered',
      description: 'The type of the sample event (email.delivered by default).',
    },
  },
} as const;
export type TestBody = FromSchema<typeof testBody>;
