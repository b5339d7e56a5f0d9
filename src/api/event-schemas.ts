/** JSON Schemas of GET /v1/events, with the example the reference shows (see schemas.ts for how they are used). */
import { EXAMPLE_EVENTS } from './email-schemas.js';
import { EXAMPLE_EMAIL_ID } from './send-schemas.js';
import { answer, documented, idOf } from './schemas.js';

/** events.ts `accountEventView`: an event of GET /v1/events, with the email it belongs to. */
const accountEventBody = answer({
  id: idOf("The event's id (ids are in time order)."),
  email_id: idOf('The email it belongs to.'),
  recipient: {
    type: ['string', 'null'],
    description: 'The recipient it concerns; null for events of the whole email.',
  },
  event_type: {
    type: 'string',
    description:
      'queued, scheduled, sent, delivered, deferred, bounced, rejected, failed, cancelled, open, click, ' +
      'unsubscribe or complaint.',
  },
  // Free-form: each event type records its own details (SMTP reply, bounce type, URL, user agent…).
  metadata: {
    type: ['object', 'null'],
    additionalProperties: true,
    description: "Each type's own details: the SMTP reply, the bounce type and reason, the URL, the user agent…",
  },
  bot: {
    type: ['string', 'null'],
    description:
      'Opens and clicks by machines: the kind of machine (apple, gmail, microsoft, proofpoint, mimecast, generic); null for a person and for other events.',
  },
  created_at: { type: 'string', format: 'date-time', description: 'When it happened.' },
});

const byEmail = (e: (typeof EXAMPLE_EVENTS)[number]) => ({
  id: e.id,
  email_id: EXAMPLE_EMAIL_ID,
  recipient: e.recipient,
  event_type: e.event_type,
  metadata: e.metadata,
  bot: null,
  created_at: e.created_at,
});

const scannedOpen = {
  id: '019d623c-2c41-7e02-b5a9-4f0d6c1e7a38',
  email_id: EXAMPLE_EMAIL_ID,
  recipient: 'jane@example.org',
  event_type: 'open',
  metadata: { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', ip: '66.102.8.44', bot: 'gmail', reason: 'ip' },
  bot: 'gmail',
  created_at: '2026-04-06T10:00:03.905Z',
};

export const accountEvents = documented(
  { type: 'array', items: accountEventBody },
  'One page of events, newest first (oldest first with order=asc).',
  [byEmail(EXAMPLE_EVENTS[4]!), byEmail(EXAMPLE_EVENTS[3]!), scannedOpen, byEmail(EXAMPLE_EVENTS[2]!)],
);
