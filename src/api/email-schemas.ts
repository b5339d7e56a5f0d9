/**
 * JSON Schemas of what the API shows of emails (lists, the feed of changes, search, detail, timeline,
 * scheduled emails), with the examples the reference shows. See schemas.ts for how they are used.
 */
import { EXAMPLE_EMAIL_ID, EXAMPLE_SEND_BODY } from './send-schemas.js';
import { answer, documented, idOf } from './schemas.js';

const str = (description: string) => ({ type: 'string', description }) as const;
const int = (description: string) => ({ type: 'integer', description }) as const;
const nullableStr = (description: string) => ({ type: ['string', 'null'], description }) as const;
const time = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;
const nullableTime = (description: string) => ({ type: ['string', 'null'], format: 'date-time', description }) as const;
const addresses = (description: string) => ({ type: 'array', items: { type: 'string' }, description }) as const;
const nullableAddresses = (description: string) =>
  ({ type: ['array', 'null'], items: { type: 'string' }, description }) as const;
/** Free-form: the serializer keeps every property of such an object, whatever its name. */
const nullableFreeForm = (description: string) =>
  ({ type: ['object', 'null'], additionalProperties: true, description }) as const;

const emailStatus = {
  type: 'string',
  enum: ['scheduled', 'queued', 'deferred', 'sent', 'delivered', 'bounced', 'rejected', 'failed', 'cancelled'],
  description:
    'scheduled (waits for its send_at), queued, deferred (a temporary failure: retried), sent (handed to the ' +
    'relay), delivered, bounced, rejected (a suppression list stopped it), failed (configuration, on our side) or ' +
    'cancelled. While any recipient is in flight, the least advanced of theirs; then delivered when every ' +
    'recipient was, else the status of the first recipient that was not.',
} as const;

const summaryProperties = {
  id: idOf("The email's id."),
  from_address: str('The sender: "Name <address>", or the address alone.'),
  to_addresses: addresses('The To addresses.'),
  subject: str('The subject.'),
  status: emailStatus,
  source: str('How it was submitted: api.'),
  opened_count: int('Opens by people that counted (machines and quick repeats do not).'),
  clicked_count: int('Clicks by people that counted.'),
  tags: { type: ['array', 'null'], items: { type: 'string' }, description: 'Its tags; null when it has none.' },
  scheduled_at: nullableTime('When it is (or was) due to be sent, for a scheduled email; else null.'),
  created_at: time('When it was accepted.'),
  sent_at: nullableTime('When a copy was first handed to a receiving server or the relay.'),
  delivered_at: nullableTime('When it was delivered to every recipient; null until then.'),
  retry_of_id: { ...idOf('The email this one retries; null for an original.'), type: ['string', 'null'] },
} as const;

/** email-views.ts `emailSummary`: the list shape. */
export const emailSummary = answer(summaryProperties);

/** GET /v1/emails/updates: a summary and when it last changed. */
const emailUpdate = answer({ ...summaryProperties, updated_at: time('When it last changed: pass it back as since.') });

/** GET /v1/emails/search: the fields of a summary that search answers with. */
const searchResult = answer({
  id: summaryProperties.id,
  from_address: summaryProperties.from_address,
  to_addresses: summaryProperties.to_addresses,
  subject: summaryProperties.subject,
  status: emailStatus,
  tags: summaryProperties.tags,
  source: summaryProperties.source,
  created_at: summaryProperties.created_at,
  delivered_at: summaryProperties.delivered_at,
});

const eventType = str(
  'queued, scheduled, sent, delivered, deferred, bounced, rejected, failed, cancelled, open, click, unsubscribe or ' +
    'complaint.',
);
const eventMetadata = nullableFreeForm(
  "Each type's own details: the SMTP reply of delivery events, the bounce type and reason, an open's or click's " +
    'user agent, address and URL (with bot and reason), a suppression that stopped a recipient.',
);
const eventRecipient = nullableStr('The recipient it concerns; null for events of the whole email.');

/** email-views.ts `eventView`. */
const eventBody = answer({
  id: idOf("The event's id (ids are in time order)."),
  event_type: eventType,
  recipient: eventRecipient,
  metadata: eventMetadata,
  created_at: time('When it happened.'),
});

/** email-views.ts `recipientView`. */
const recipientBody = answer({
  email: str('The address.'),
  name: nullableStr('The display name given; null for none.'),
  type: { type: 'string', enum: ['to', 'cc', 'bcc'], description: 'Which field it was in.' },
  status: { ...emailStatus, description: "This recipient's own status." },
  attempts: int('Delivery attempts so far.'),
  last_reply: nullableFreeForm(
    'The last SMTP reply: code, text, dsn (the enhanced status code) and host (the server that answered); null ' +
      'before the first attempt.',
  ),
  last_attempt_at: nullableTime('When it was last tried.'),
  next_attempt_at: nullableTime('When it will be tried next, while queued or deferred; else null.'),
});

/** email-views.ts `emailDetail`: the detail shape, plus recipients and attachment metadata. */
export const emailDetail = answer({
  ...summaryProperties,
  cc_addresses: nullableAddresses('The Cc addresses; null for none.'),
  bcc_addresses: nullableAddresses('The Bcc addresses; null for none.'),
  reply_to: nullableStr('The Reply-To: "Name <address>" or the address; null for none.'),
  text_body: nullableStr('The text part, as you sent it (without tracked links).'),
  html_body: nullableStr('The HTML part, as you sent it (without tracked links or pixel).'),
  // Free-form: the custom headers as sent, any names (values are strings, as the send body requires).
  headers: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The custom headers of the send body, by name.',
  },
  message_id: str('Its Message-ID header.'),
  rejection_reason: nullableStr('One sentence per recipient a suppression list stopped; null for none.'),
  opened_at: nullableTime('The first counted open.'),
  clicked_at: nullableTime('The first counted click.'),
  // Free-form: the send body's tracking options as given (open, click, pixel_position), or null for the domain's.
  tracking: nullableFreeForm("The send body's tracking options as given; null: the domain's settings."),
  unsubscribe: { type: ['boolean', 'null'], description: "The send body's unsubscribe; null: the domain's setting." },
  recipients: { type: 'array', items: recipientBody, description: 'Each recipient, with its own delivery state.' },
  attachments: {
    type: 'array',
    description: 'Its attachments (their content is not shown).',
    items: answer({
      filename: str('The file name.'),
      content_type: str('The MIME type.'),
      size: int('The size in bytes, decoded.'),
    }),
  },
  events: { type: 'array', items: eventBody, description: 'Its events, oldest first.' },
});

/** email-views.ts `scheduledView`: the scheduled-list shape. */
const scheduledEmail = answer({
  id: summaryProperties.id,
  from_address: summaryProperties.from_address,
  to_addresses: summaryProperties.to_addresses,
  subject: summaryProperties.subject,
  status: emailStatus,
  tags: summaryProperties.tags,
  scheduled_at: time('When it is due to be sent.'),
  seconds_until_send: int('Seconds from now until then (0 when due).'),
  created_at: summaryProperties.created_at,
});

/** Cancel (cancelled) and send-now (queued) of a scheduled email. */
const statusBody = answer({
  id: idOf("The email's id."),
  status: { type: 'string', enum: ['cancelled', 'queued'], description: 'Its status now.' },
});

// The examples: the welcome email of send-schemas.ts, delivered to jane@example.org and opened, and its
// neighbours in the list.
const CREATED = '2026-04-06T10:00:00.114Z';
const DELIVERED = '2026-04-06T10:00:02.731Z';
const from = 'Example <hello@example.com>';
const welcome = {
  id: EXAMPLE_EMAIL_ID,
  from_address: from,
  to_addresses: ['jane@example.org'],
  subject: EXAMPLE_SEND_BODY.subject,
  status: 'delivered',
  source: 'api',
  opened_count: 1,
  clicked_count: 1,
  tags: ['welcome'],
  scheduled_at: null,
  created_at: CREATED,
  sent_at: DELIVERED,
  delivered_at: DELIVERED,
  retry_of_id: null,
};
/** A bounced email of the examples, the one to retry. */
export const EXAMPLE_BOUNCED_ID = '019d623c-15f8-71a2-9850-ba9f17be3111';
const bounced = {
  ...welcome,
  id: EXAMPLE_BOUNCED_ID,
  to_addresses: ['old.address@example.net'],
  subject: 'Your invoice for March',
  status: 'bounced',
  opened_count: 0,
  clicked_count: 0,
  tags: ['invoice'],
  created_at: '2026-04-06T09:59:58.200Z',
  sent_at: null,
  delivered_at: null,
};
const reply = { code: 250, text: '250 2.0.0 OK 1775469602 d9443c01a7336-2b0e3f', dsn: '2.0.0', host: 'mx.example.org' };
const deliveryMeta = {
  smtp_code: 250,
  smtp_response: reply.text,
  dsn: '2.0.0',
  relay: 'mx.example.org',
  attempt: 1,
  ip: '203.0.113.25',
};
const person = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile';
export const EXAMPLE_EVENTS = [
  {
    id: '019d623c-1d72-706c-8cb9-c18a8fadc1a6',
    event_type: 'queued',
    recipient: null,
    metadata: null,
    created_at: CREATED,
  },
  {
    id: '019d623c-27ab-78b8-8e1b-b2f86b65a6a4',
    event_type: 'sent',
    recipient: 'jane@example.org',
    metadata: deliveryMeta,
    created_at: DELIVERED,
  },
  {
    id: '019d623c-27ab-7b74-ace2-8223a65ed389',
    event_type: 'delivered',
    recipient: 'jane@example.org',
    metadata: deliveryMeta,
    created_at: DELIVERED,
  },
  {
    id: '019d6249-12e9-772f-91cd-e06496da1dac',
    event_type: 'open',
    recipient: 'jane@example.org',
    metadata: { ua: person, ip: '198.51.100.14', bot: '', reason: '' },
    created_at: '2026-04-06T10:14:09.385Z',
  },
  {
    id: '019d6249-6ade-7cf3-806a-79c7de8a774b',
    event_type: 'click',
    recipient: 'jane@example.org',
    metadata: { ua: person, ip: '198.51.100.14', url: 'https://example.com/start', referer: null, bot: '', reason: '' },
    created_at: '2026-04-06T10:14:31.902Z',
  },
];

export const emailList = documented({ type: 'array', items: emailSummary }, 'One page of emails, newest first.', [
  welcome,
  bounced,
]);

export const emailUpdates = documented(
  { type: 'array', items: emailUpdate },
  'The emails that changed after since, oldest change first.',
  [
    { ...bounced, updated_at: '2026-04-06T10:00:03.000Z' },
    { ...welcome, updated_at: '2026-04-06T10:14:31.902Z' },
  ],
);

export const searchResults = documented(
  { type: 'array', items: searchResult },
  'One page of matching emails, newest first.',
  [
    {
      id: welcome.id,
      from_address: from,
      to_addresses: welcome.to_addresses,
      subject: welcome.subject,
      status: welcome.status,
      tags: welcome.tags,
      source: 'api',
      created_at: CREATED,
      delivered_at: DELIVERED,
    },
  ],
);

export const emailDetailAnswer = documented(emailDetail, 'The email, its recipients, attachments and events.', {
  ...welcome,
  opened_at: '2026-04-06T10:14:09.385Z',
  clicked_at: '2026-04-06T10:14:31.902Z',
  cc_addresses: null,
  bcc_addresses: null,
  reply_to: null,
  text_body: EXAMPLE_SEND_BODY.text,
  html_body: EXAMPLE_SEND_BODY.html,
  headers: {},
  message_id: `<${EXAMPLE_EMAIL_ID}@example.com>`,
  rejection_reason: null,
  tracking: null,
  unsubscribe: null,
  recipients: [
    {
      email: 'jane@example.org',
      name: 'Jane Doe',
      type: 'to',
      status: 'delivered',
      attempts: 1,
      last_reply: reply,
      last_attempt_at: DELIVERED,
      next_attempt_at: null,
    },
  ],
  attachments: [],
  events: EXAMPLE_EVENTS,
});

export const emailTimeline = documented(
  { type: 'array', items: eventBody },
  'One page of its events, oldest first.',
  EXAMPLE_EVENTS,
);

const SCHEDULED_ID = '019d6240-e240-707a-8dfe-2a2217fc695a';
export const EXAMPLE_SCHEDULED_ID = SCHEDULED_ID;
export const scheduledList = documented(
  { type: 'array', items: scheduledEmail },
  'The scheduled emails, soonest first.',
  [
    {
      id: SCHEDULED_ID,
      from_address: from,
      to_addresses: ['jane@example.org'],
      subject: 'Your first week with Example',
      status: 'scheduled',
      tags: ['onboarding'],
      scheduled_at: '2026-04-13T08:00:00.000Z',
      seconds_until_send: 597600,
      created_at: '2026-04-06T10:05:12.640Z',
    },
  ],
);

export const cancelledEmail = documented(statusBody, 'Cancelled: it will not be sent.', {
  id: SCHEDULED_ID,
  status: 'cancelled',
});
export const sentNowEmail = documented(statusBody, 'Queued: it goes out now.', { id: SCHEDULED_ID, status: 'queued' });

/** A captured message (GET /v1/emails/{id}/raw) as the reference shows it: the welcome email, signed. */
const RAW_MESSAGE = [
  'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;',
  ' h=Content-Type:MIME-Version:Date:Message-ID:Subject:To:From; q=dns/txt;',
  ' s=tfmj0rhhd; t=1775469602; bh=WPZCzHu46AFNuBDXjCJkk6gGFA9KiHMCsS6gP8tFcak=;',
  ' b=zzg9RzKC//nG7VRmPaHD4VJT96Hj8uFSxfVGYmjqWVazvjzcBUIrEzfyFLuVZW677llHgVydmz/',
  ' bOM45I6CUNvq+bsGzJ8bryjcJe3KA/gH4CgdxmoAaJw3byNfYg0PdNtFMBjZT6fOGA3C4ouv3CMTf',
  ' tuOg+DpFLzxp9mWFq89GDOuLJAS2hvn0c3l04hi/wip7RazXZifHOMTOd8lWB8gzalX60wH7LlvJl',
  ' taWqWJnwqysxW6cKWGuxb8TlbXCcmprGiafzNBf/TKRqYfeElim4vgbmp1cFz4mwkENdohFF6HphY',
  ' DBktWanDb2VdiEHuzIziej/rowmPDnGMJQgA==',
  'From: Example <hello@example.com>',
  'To: Jane Doe <jane@example.org>',
  `Subject: ${EXAMPLE_SEND_BODY.subject}`,
  `Message-ID: <${EXAMPLE_EMAIL_ID}@example.com>`,
  'Date: Mon, 06 Apr 2026 10:00:02 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative;',
  ' boundary="--_NmP-0cb5c1e65ec07991-Part_1"',
  '',
  '----_NmP-0cb5c1e65ec07991-Part_1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  EXAMPLE_SEND_BODY.text,
  '----_NmP-0cb5c1e65ec07991-Part_1',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<h1>Welcome!</h1><p>Your account is ready. <a href=3D"https://example.=',
  'com/start">Get started</a></p>',
  '----_NmP-0cb5c1e65ec07991-Part_1--',
  '',
].join('\r\n');

/** The answer of GET /v1/emails/{id}/raw, for the reference only (the route sends the message as it is). */
export const rawMessage = {
  description: "The message exactly as it would have been sent to the recipient's server, DKIM signature included.",
  content: { 'message/rfc822': { schema: { type: 'string' }, example: RAW_MESSAGE } },
} as const;
