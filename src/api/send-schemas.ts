/**
 * JSON Schemas of sending (POST /v1/emails/, /batch, /validate, and retry's answer), with the examples the
 * reference shows; the send body itself is core/send-body-schema.ts. See schemas.ts for how they are used.
 */
import { answer, documented, sendEmailBody } from './schemas.js';

const id = { type: 'string', format: 'uuid' } as const;
const acceptedStatus =
  'queued (it will go out now), scheduled (at its send_at) or rejected (every recipient is on a suppression ' +
  'list: nothing will be sent).';

/** The email of the examples: a welcome email from hello@example.com to jane@example.org. */
export const EXAMPLE_EMAIL_ID = '019d623c-1d72-7e46-8590-67e08b9d2434';
export const EXAMPLE_SEND_BODY = {
  from_: { email: 'hello@example.com', name: 'Example' },
  to: [{ email: 'jane@example.org', name: 'Jane Doe' }],
  subject: 'Welcome aboard, Jane',
  html: '<h1>Welcome!</h1><p>Your account is ready. <a href="https://example.com/start">Get started</a></p>',
  text: 'Welcome! Your account is ready. Get started: https://example.com/start',
  tags: ['welcome'],
};

/** POST /v1/emails/ and the dry run: one send body. */
export const sendRequest = { ...sendEmailBody, examples: [EXAMPLE_SEND_BODY] } as const;

/** POST /v1/emails/batch: the array is refused as a whole only when it is not a non-empty array. */
export const batchBody = documented(
  { type: 'array', minItems: 1, items: sendEmailBody },
  'Each element is a send body, validated and accepted on its own: a faulty one gets {id: null, status: "error", rejection_reason} in results, the others go out. At most the plan\'s batch cap.',
  [
    EXAMPLE_SEND_BODY,
    { ...EXAMPLE_SEND_BODY, to: [{ email: 'sam@example.org', name: 'Sam Lee' }], subject: 'Welcome aboard, Sam' },
  ],
);

/** The 202 of send and retry (core/accept-email.ts `Accepted`). */
export const acceptedBody = answer({
  id: { ...id, description: "The email's id, to follow it with GET /v1/emails/{id}." },
  status: {
    type: 'string',
    enum: ['queued', 'scheduled', 'rejected'],
    description: acceptedStatus,
  },
  message_id: { type: 'string', description: 'Its Message-ID header: <email id@sending domain>.' },
  rejection_reason: {
    type: ['string', 'null'],
    description:
      'Why recipients were dropped: one sentence per suppressed recipient (the list, its scope and since when); null when none was.',
  },
});

export const acceptedEmail = documented(acceptedBody, 'Accepted: the email, its recipients and its event are stored.', {
  id: EXAMPLE_EMAIL_ID,
  status: 'queued',
  message_id: `<${EXAMPLE_EMAIL_ID}@example.com>`,
  rejection_reason: null,
});

export const retriedEmail = documented(
  acceptedBody,
  'Accepted: the new email, to the recipients that did not get it.',
  {
    id: '019d6275-2a7e-7972-8208-ba3c6c031199',
    status: 'queued',
    message_id: '<019d6275-2a7e-7972-8208-ba3c6c031199@example.com>',
    rejection_reason: null,
  },
);

export const batchAnswer = documented(
  answer({
    total: { type: 'integer', description: 'Emails in the batch.' },
    sent: { type: 'integer', description: 'Emails accepted (queued, scheduled, or rejected by a suppression).' },
    failed: { type: 'integer', description: 'Emails refused for their content, sender or plan: status error.' },
    results: {
      type: 'array',
      description: 'One per email, in the order of the batch.',
      items: answer({
        id: { type: ['string', 'null'], format: 'uuid', description: "The email's id; null when it was refused." },
        status: {
          type: 'string',
          enum: ['queued', 'scheduled', 'rejected', 'error'],
          description: `${acceptedStatus} error: refused, nothing stored.`,
        },
        rejection_reason: {
          type: ['string', 'null'],
          description:
            'For an error, what was wrong ("to[0].email: is not a valid email address"); else as in a send answer.',
        },
      }),
    },
  }),
  'The batch was read: each email has its result, accepted or not.',
  {
    total: 2,
    sent: 2,
    failed: 0,
    results: [
      { id: EXAMPLE_EMAIL_ID, status: 'queued', rejection_reason: null },
      { id: '019d623c-1d74-73b8-a687-7991815ef6d1', status: 'queued', rejection_reason: null },
    ],
  },
);

/** core/validate-email.ts. */
export const validateAnswer = documented(
  answer({
    valid: { type: 'boolean', description: 'No issue at all: it would be sent to every recipient.' },
    can_send: {
      type: 'boolean',
      description: 'Sending would be accepted (recipients on a suppression list are dropped, not refused).',
    },
    issues: {
      type: 'array',
      description: 'What send would refuse, then the recipients it would drop.',
      items: answer({
        field: {
          type: 'string',
          pattern: '^(account|from|limits|to|content|(to|cc|bcc)\\[\\d+\\])$',
          description:
            'account, from, limits, to, content; or to[i], cc[i], bcc[i] for a recipient on a suppression list.',
        },
        error: { type: 'string', description: 'The problem, as a sentence.' },
      }),
    },
    plan: { type: 'string', description: "The account's plan: free, starter, pro or business." },
    usage: {
      ...answer({
        daily: { type: 'integer', description: 'Recipients sent to today (UTC).' },
        daily_limit: { type: 'integer', description: 'The most recipients per UTC day.' },
        monthly: { type: 'integer', description: 'Recipients sent to this UTC month.' },
        monthly_limit: { type: 'integer', description: 'The most recipients per UTC month.' },
      }),
      description: "The account's use of its quota, as send counts it.",
    },
  }),
  'What sending this body would do now; nothing was written or sent.',
  {
    valid: false,
    can_send: false,
    issues: [{ field: 'from', error: 'the domain example.com is not verified' }],
    plan: 'starter',
    usage: { daily: 37, daily_limit: 200, monthly: 1204, monthly_limit: 5000 },
  },
);
