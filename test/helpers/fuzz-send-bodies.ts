import fc from 'fast-check';

/**
 * Send bodies built from the send schema's own fields (core/send-body-schema.ts), mostly valid: from the
 * registered sender `hello@example.com` on a verified domain, so that many are accepted; the rest from
 * senders that are not registered or not verified, with recipients on the bounce list, send_at outside
 * its window, reserved headers, and the like.
 */

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });

const sender = fc.constantFrom(
  'hello@example.com',
  'hello@example.com',
  'hello@example.com',
  'hello@example.com',
  'HELLO@Example.COM',
  'other@example.com',
  'hello@pending.test',
  'hello@unknown.test',
);

const recipientEmail = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'jane@recipient.test',
      'JANE@Recipient.Test',
      'ops+tag@sub.recipient.test',
      'bounced@recipient.test',
      'ünï@exämple.test',
      "o'brien@recipient.test",
    ),
    weight: 4,
  },
  { arbitrary: fc.emailAddress(), weight: 1 },
);

const displayName = fc.oneof(
  fc.constantFrom('Jane Doe', 'Ünïcødé Ñame', 'O\'Brien, "Jr"', '=?utf-8?q?x?='),
  fc.string({ maxLength: 40 }),
);

const address = (email: fc.Arbitrary<string>) =>
  fc.record({ email, name: opt(displayName) }, { requiredKeys: ['email'] });

const headerName = fc.oneof(
  fc.constantFrom(
    'X-Campaign',
    'X-Entity-Ref-ID',
    'List-Id',
    'X-Priority',
    'Subject',
    'from',
    'DKIM-Signature',
    'Message-Id',
    'Content-Type',
    'Content-Disposition',
    'Received',
    'Resent-From',
    'Authentication-Results',
    'Content-Language',
  ),
  fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/),
);

/** send_at: inside and outside the 1 minute to 30 days window, and strings that only look like dates. */
const sendAt = fc.oneof(
  fc.integer({ min: -3600, max: 40 * 86_400 }).map((s) => new Date(Date.now() + s * 1000).toISOString()),
  fc.constantFrom(
    '2026-13-01T00:00:00Z',
    '2026-06-01T24:00:00Z',
    '2026-06-01T09:00Z',
    '2026-06-01T09:00:00+25:00',
    '9999-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    '2026-06-01 09:00:00Z',
    '2026-06-01T09:00:00.123456789+05:30',
  ),
);

const attachment = fc.record(
  {
    filename: fc.oneof(
      fc.constantFrom('invoice.pdf', 'a b.txt', 'ünï.txt', '../etc/passwd', '.', 'CON'),
      fc.string({ minLength: 1, maxLength: 30 }),
    ),
    content_base64: fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
      fc.constantFrom('not base64!', '====', 'QQ', 'QQ==\n', 'data:text/plain;base64,QQ=='),
    ),
    content_type: opt(fc.constantFrom('application/pdf', 'text/plain', 'image/png; charset=x', 'x')),
  },
  { requiredKeys: ['filename', 'content_base64'] },
);

/** One send body, valid or nearly. */
export const sendBody = fc.record(
  {
    from_: address(sender),
    to: fc.array(address(recipientEmail), { minLength: 1, maxLength: 3 }),
    cc: opt(fc.array(address(recipientEmail), { maxLength: 2 })),
    bcc: opt(fc.array(address(recipientEmail), { maxLength: 2 })),
    reply_to: opt(address(recipientEmail)),
    subject: fc.oneof(fc.constantFrom('Hello', 'Your receipt'), fc.string({ minLength: 1, maxLength: 80 })),
    html: fc.oneof(fc.constant('<p>Hello <a href="https://example.com/x?a=1&b=2">link</a></p>'), fc.string()),
    text: opt(fc.string({ maxLength: 200 })),
    headers: opt(fc.dictionary(headerName, fc.string({ maxLength: 60 }), { maxKeys: 4 })),
    tags: opt(
      fc.array(fc.oneof(fc.constantFrom('welcome', 'receipt'), fc.string({ maxLength: 20 })), { maxLength: 3 }),
    ),
    send_at: fc.option(sendAt, { nil: null, freq: 3 }),
    tracking: opt(
      fc.record(
        {
          open: fc.boolean(),
          click: fc.constantFrom(true, false, 'htmlonly' as const),
          pixel_position: fc.constantFrom('top', 'bottom'),
        },
        { requiredKeys: [] },
      ),
    ),
    unsubscribe: opt(fc.boolean()),
    attachments: opt(fc.array(attachment, { maxLength: 2 })),
  },
  { requiredKeys: ['from_', 'to', 'subject', 'html'] },
);

/** A batch: a few send bodies, or none, or more than any plan's batch cap. */
export const batchBody = fc.oneof(
  { arbitrary: fc.array(sendBody, { maxLength: 4 }), weight: 8 },
  { arbitrary: sendBody.map((b) => Array.from({ length: 101 }, () => b)), weight: 1 },
);

/** An Idempotency-Key now and then, from a few, so that keys are reused with the same and other bodies. */
export const idempotencyHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  {
    arbitrary: fc.constantFrom('key-1', 'key-2', 'key-3', ' ', 'k'.repeat(300)).map((k) => ({ 'idempotency-key': k })),
    weight: 1,
  },
);
