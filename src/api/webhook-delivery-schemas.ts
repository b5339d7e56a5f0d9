/** JSON Schemas of an endpoint's deliveries, with the examples the reference shows (see schemas.ts). */
import type { FromSchema } from 'json-schema-to-ts';
import { ALL_WEBHOOK_EVENTS } from '../core/webhook-events.js';
import { EXAMPLE_EVENTS } from './email-schemas.js';
import { pageProperties } from './paging.js';
import { answer, documented, idOf } from './schemas.js';
import { EXAMPLE_EMAIL_ID, EXAMPLE_SEND_BODY } from './send-schemas.js';
import { EXAMPLE_WEBHOOK_ID } from './webhook-schemas.js';

const id = { type: 'string', format: 'uuid' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const status = {
  type: 'string',
  enum: ['pending', 'succeeded', 'failed'],
  description: 'pending (an attempt is due), succeeded (2xx), failed (406, or every retry used up).',
} as const;

const attemptBody = answer({
  attempted_at: { ...time, description: 'When it was made.' },
  duration_ms: { type: 'integer', description: 'How long the answer took, in milliseconds.' },
  status_code: { type: ['integer', 'null'], description: 'The HTTP status answered; null when none was.' },
  error: { type: ['string', 'null'], description: 'Why it failed, when it did.' },
  response_body: { type: ['string', 'null'], description: 'The first 1 KiB of the response body.' },
});

const deliveryBody = answer({
  id: { ...id, description: 'Also the `webhook-id` header, the same on every attempt.' },
  webhook_id: idOf('The endpoint it is posted to.'),
  event_id: { type: ['string', 'null'], description: 'The event it carries; null for a test send.' },
  event_type: { type: 'string', description: 'The event name: email.delivered, email.bounced…' },
  status,
  attempt_count: { type: 'integer', description: 'Attempts so far.' },
  next_attempt_at: { ...nullableTime, description: 'When the next attempt is due, while pending.' },
  last_attempt_at: { ...nullableTime, description: 'When it was last attempted; null before the first attempt.' },
  last_status_code: { type: ['integer', 'null'], description: 'The HTTP status of the last attempt; null for none.' },
  last_error: { type: ['string', 'null'], description: 'Why the last attempt failed, when it did.' },
  payload: { type: 'object', additionalProperties: true, description: 'The JSON body posted.' },
  attempts: { type: 'array', items: attemptBody, description: 'Every attempt, oldest first.' },
  created_at: { ...time, description: 'When the event was handed to the endpoint.' },
});

export const deliveryParams = {
  type: 'object',
  required: ['id', 'delivery_id'],
  properties: {
    id: { ...idOf("The endpoint's id."), examples: [EXAMPLE_WEBHOOK_ID] },
    delivery_id: { ...idOf("The delivery's id (its webhook-id)."), examples: ['019d623c-27b4-7f50-958a-c3dec37459ee'] },
  },
} as const;
export type DeliveryParams = FromSchema<typeof deliveryParams>;

export const deliveriesQuery = {
  type: 'object',
  properties: {
    status: { ...status, description: 'Only deliveries in this state: pending, succeeded or failed.' },
    ...pageProperties(),
  },
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

// The examples: the delivery of the welcome email's delivered event, answered 200 at once.
const delivered = EXAMPLE_EVENTS[2]!;
const delivery = {
  id: '019d623c-27b4-7f50-958a-c3dec37459ee',
  webhook_id: EXAMPLE_WEBHOOK_ID,
  event_id: delivered.id,
  event_type: 'email.delivered',
  status: 'succeeded',
  attempt_count: 1,
  next_attempt_at: null,
  last_attempt_at: '2026-04-06T10:00:02.912Z',
  last_status_code: 200,
  last_error: null,
  payload: {
    type: 'email.delivered',
    timestamp: delivered.created_at,
    data: {
      email_id: EXAMPLE_EMAIL_ID,
      event_id: delivered.id,
      recipient: 'jane@example.org',
      from: 'hello@example.com',
      subject: EXAMPLE_SEND_BODY.subject,
      tags: ['welcome'],
      message_id: `<${EXAMPLE_EMAIL_ID}@example.com>`,
      metadata: delivered.metadata,
    },
  },
  attempts: [
    {
      attempted_at: '2026-04-06T10:00:02.912Z',
      duration_ms: 87,
      status_code: 200,
      error: null,
      response_body: '{"received":true}',
    },
  ],
  created_at: delivered.created_at,
};

export const deliveryList = documented(
  { type: 'array', items: deliveryBody },
  "One page of the endpoint's deliveries, newest first.",
  [delivery],
);
export const deliveryAnswer = documented(deliveryBody, 'The delivery, with every attempt.', delivery);
export const replayedDelivery = documented(deliveryBody, 'The delivery, due again now.', {
  ...delivery,
  status: 'pending',
  next_attempt_at: '2026-04-06T12:30:00.021Z',
});

const testId = '019d62d2-9221-7e3a-a0b2-6d8f1c5e9a47';
export const testRequest = documented(testBody, 'The type of the sample event.', { event: 'email.bounced' });
export const testedDelivery = documented(deliveryBody, 'The test delivery, with the answer your endpoint gave.', {
  ...delivery,
  id: testId,
  event_id: null,
  event_type: 'email.bounced',
  last_attempt_at: '2026-04-06T12:44:20.410Z',
  payload: {
    type: 'email.bounced',
    timestamp: '2026-04-06T12:44:20.385Z',
    data: {
      email_id: '019d62d2-9221-7e3a-a0b2-5b13e0c7d2f6',
      event_id: '019d62d2-9221-7e3a-a0b2-6a04f2d9b813',
      recipient: 'jane@example.org',
      from: 'hello@example.com',
      subject: 'A test event from Taifa Mail',
      tags: ['test'],
      message_id: '<019d62d2-9221-7e3a-a0b2-5b13e0c7d2f6@example.com>',
      metadata: { test: true },
    },
  },
  attempts: [
    {
      attempted_at: '2026-04-06T12:44:20.410Z',
      duration_ms: 64,
      status_code: 200,
      error: null,
      response_body: '{"received":true}',
    },
  ],
  created_at: '2026-04-06T12:44:20.385Z',
});
