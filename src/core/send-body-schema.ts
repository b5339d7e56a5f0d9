import type { FromSchema } from 'json-schema-to-ts';
import { ISO_8601_MESSAGE, ISO_8601_PATTERN } from './iso-date-time.js';

/**
 * The send body as a JSON Schema: the one definition that Fastify's Ajv enforces on
 * POST /v1/emails/, on each element of /v1/emails/batch and on the /v1/emails/validate dry run, that
 * /v1/openapi.json documents, and that the TypeScript type below is derived from. What a schema cannot
 * say well (decoded attachment sizes and 413, base64 itself, reserved header names, the send_at window,
 * html or text, recipients across to/cc/bcc) is checked by core/send-validation.ts. Its sizes (how many
 * items, fields and headers, how long each string) are counted first by core/send-body-bounds.ts, so that
 * a body far over them is refused before the schema checks its parts one by one.
 *
 * Optional fields accept null as "not given", as they always have. Patterns run over request bodies of
 * up to 40 MiB, so each is linear: a length look-ahead first, no nested repetition that can backtrack.
 */

/** 24 MiB, per file and for all attachments together. */
export const MAX_ATTACHMENT_BYTES = 24 * 1024 * 1024;
/** The largest request body: 24 MiB of attachments as base64 (×4/3) plus bodies and headers. */
export const MAX_REQUEST_BYTES = 40 * 1024 * 1024;
/** to, cc and bcc, each and all together. */
export const MAX_RECIPIENTS = 50;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 256;
/** RFC 5322's line limit. */
export const MAX_SUBJECT_LENGTH = 998;
export const MAX_NAME_LENGTH = 256;
export const MAX_HEADER_NAME_LENGTH = 76;
/** Longer values are folded over several lines when sent (RFC 5322 allows 998 characters per line). */
export const MAX_HEADER_VALUE_LENGTH = 2000;
/** Custom headers per email… */
export const MAX_HEADERS = 100;
/** …and their names and values together, in UTF-8 bytes (16 KiB). */
export const MAX_HEADERS_BYTES = 16 * 1024;
export const MAX_FILENAME_LENGTH = 255;
export const MAX_ATTACHMENTS = 100;
/** RFC 5321's limit on a forward path. */
export const MAX_EMAIL_LENGTH = 254;

// Written with \x escapes for non-ASCII so that a client's regex engine reads them the same with or
// without the u flag. Practical RFC 5321 mailbox: no spaces, controls or specials; dotted domain labels.
// Beyond ASCII, anything but the C1 controls (U+0080 to U+009F).
const NON_ASCII = '[^\\x00-\\x9F]';
const ATEXT = `(?:[A-Za-z0-9!#$%&'*+/=?^_\`{|}~-]|${NON_ASCII})`;
const LABEL_EDGE = `(?:[A-Za-z0-9]|${NON_ASCII})`;
const LABEL_INNER = `(?:[A-Za-z0-9-]|${NON_ASCII})`;
const TLD = `(?:[A-Za-z]|${NON_ASCII}){2,63}`;

/** A mailbox address: at most 254 characters, a local part of at most 64, a domain of at most 253. */
export const EMAIL_PATTERN = `^(?=.{1,254}$)(?=[^@]{1,64}@)${ATEXT}+(?:\\.${ATEXT}+)*@(?=.{1,253}$)(?:${LABEL_EDGE}(?:${LABEL_INNER}{0,61}${LABEL_EDGE})?\\.)+${TLD}$`;
// Control characters: C0 (U+0000 to U+001F: NUL, CR and LF among them), DEL and C1 (U+0080 to U+009F).
// Receivers cut a header at a NUL, read a CR or LF as a new header line, and show the rest as garbage.
const CONTROLS = '\\x00-\\x1F\\x7F-\\x9F';
/** The same but the tab, which header text may hold (RFC 5322 unstructured text allows white space). */
const CONTROLS_BUT_TAB = '\\x00-\\x08\\x0A-\\x1F\\x7F-\\x9F';
/** A display name: one line, no control characters. */
export const NAME_PATTERN = `^[^${CONTROLS}]*$`;
/** A custom header's value: one line, no control characters but the tab. */
export const HEADER_VALUE_PATTERN = `^[^${CONTROLS_BUT_TAB}]*$`;
/** The subject: a header value with something other than white space in it. */
export const SUBJECT_PATTERN = `^(?=[^${CONTROLS_BUT_TAB}]*\\S)[^${CONTROLS_BUT_TAB}]*$`;
/** A tag: one line with something other than white space, no control characters. */
export const TAG_PATTERN = `^(?=[^${CONTROLS}]*\\S)[^${CONTROLS}]*$`;
/** RFC 5322 field name: printable ASCII except ':'. */
export const HEADER_NAME_PATTERN = '^[!-9;-~]+$';
/** A plain file name: not blank, not . or .., no path separators, no control characters. */
export const FILENAME_PATTERN = `^(?!\\.\\.?$)(?!\\s*$)[^${CONTROLS}/\\\\]*$`;
export const MIME_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$';

/** The sentence an API error gives for each pattern above (Ajv reports only the pattern). */
export const sendBodyPatternMessages: Readonly<Record<string, string>> = {
  [EMAIL_PATTERN]: 'is not a valid email address',
  [NAME_PATTERN]: 'must be one line without control characters',
  [HEADER_VALUE_PATTERN]: 'must be one line without control characters (a tab is allowed)',
  [SUBJECT_PATTERN]: 'must be one non-blank line without control characters (a tab is allowed)',
  [TAG_PATTERN]: 'must be one non-blank line without control characters',
  [HEADER_NAME_PATTERN]: 'is not a valid header name (printable ASCII without ":" or spaces)',
  [FILENAME_PATTERN]: 'must be a plain file name: not blank, no path separators (/ or \\), no control characters',
  [MIME_TYPE_PATTERN]: 'must be a MIME type such as application/pdf',
  [ISO_8601_PATTERN]: ISO_8601_MESSAGE,
};

/** The sentence for an unknown field that is a likely slip. */
export const sendBodyUnknownFieldHints: Readonly<Record<string, string>> = {
  from: 'is not a field: the sender goes in "from_"',
};

const name = {
  type: ['string', 'null'],
  maxLength: MAX_NAME_LENGTH,
  pattern: NAME_PATTERN,
  description: 'Display name: one line, up to 256 characters.',
} as const;
const email = {
  type: 'string',
  maxLength: MAX_EMAIL_LENGTH,
  pattern: EMAIL_PATTERN,
  description: 'The address: up to 254 characters, 64 before the @.',
} as const;
/** A mailbox as the send body takes it; `example` is what the reference shows in it (a real address, not one made
 * up from the pattern). */
function mailbox<const E extends string, const N extends string>(example: { email: E; name: N }) {
  return {
    type: 'object',
    required: ['email'],
    properties: { email: { ...email, examples: [example.email] }, name: { ...name, examples: [example.name] } },
  } as const;
}
const recipient = mailbox({ email: 'jane@example.org', name: 'Jane Doe' });
const recipients = (description: string) =>
  ({ type: ['array', 'null'], maxItems: MAX_RECIPIENTS, items: recipient, description }) as const;

const attachment = {
  type: 'object',
  required: ['filename', 'content_base64'],
  properties: {
    filename: {
      type: 'string',
      maxLength: MAX_FILENAME_LENGTH,
      pattern: FILENAME_PATTERN,
      description: 'The file name the recipient sees: up to 255 characters, no path separators.',
      examples: ['invoice-2026-04.pdf'],
    },
    content_base64: {
      type: 'string',
      minLength: 1,
      contentEncoding: 'base64',
      description:
        'Plain base64, no data: prefix. At most 24 MiB decoded, and 24 MiB for all attachments together (413 beyond).',
    },
    content_type: {
      type: ['string', 'null'],
      pattern: MIME_TYPE_PATTERN,
      description: 'Defaults to application/octet-stream.',
      examples: ['application/pdf'],
    },
  },
} as const;

export const sendEmailBody = {
  type: 'object',
  additionalProperties: false,
  required: ['from_', 'to', 'subject'],
  description: `At least one of html or text. to, cc and bcc together hold at most ${MAX_RECIPIENTS} recipients. Optional fields may be null.`,
  properties: {
    from_: {
      ...mailbox({ email: 'hello@example.com', name: 'Example' }),
      description: "A registered sender on a verified domain; without a name, the sender's own.",
    },
    to: { ...recipients('The recipients: at least one.'), type: 'array', minItems: 1 },
    cc: recipients('Copied recipients, shown to all.'),
    bcc: recipients('Blind-copied recipients, shown to none.'),
    reply_to: {
      ...mailbox({ email: 'support@example.com', name: 'Example Support' }),
      type: ['object', 'null'],
      description: 'Where replies go (Reply-To), when not to the sender.',
    },
    subject: {
      type: 'string',
      maxLength: MAX_SUBJECT_LENGTH,
      pattern: SUBJECT_PATTERN,
      description: 'One line, not blank, up to 998 characters.',
    },
    html: {
      type: ['string', 'null'],
      description: 'At most 5 MiB in UTF-8 (413 beyond); at most 1,000 links (href attributes) with those of text.',
    },
    text: { type: ['string', 'null'], description: 'At most 5 MiB in UTF-8 (413 beyond).' },
    headers: {
      type: ['object', 'null'],
      maxProperties: MAX_HEADERS,
      description: `At most ${MAX_HEADERS} custom headers, ${MAX_HEADERS_BYTES / 1024} KiB of names and values together (UTF-8), ${MAX_HEADER_VALUE_LENGTH} characters per value. From, To, Cc, Bcc, Subject, Reply-To, Sender, Return-Path, Date, Message-ID, MIME-Version, Content-* (Content-Type, Content-Disposition…), DKIM-* and ARC-* are written by Taifa Mail, and Resent-*, Received and Authentication-Results by others: none can be set (in any letter case).`,
      propertyNames: { maxLength: MAX_HEADER_NAME_LENGTH, pattern: HEADER_NAME_PATTERN },
      additionalProperties: { type: 'string', maxLength: MAX_HEADER_VALUE_LENGTH, pattern: HEADER_VALUE_PATTERN },
      examples: [{ 'X-Entity-Ref-ID': 'order-48213' }],
    },
    tags: {
      type: ['array', 'null'],
      maxItems: MAX_TAGS,
      items: { type: 'string', maxLength: MAX_TAG_LENGTH, pattern: TAG_PATTERN },
      description:
        'Up to 20 labels (256 characters each) to find, filter and count the email by (search, events, stats, webhooks).',
      examples: [['welcome']],
    },
    send_at: {
      type: ['string', 'null'],
      pattern: ISO_8601_PATTERN,
      description:
        'When to send it: ISO 8601 with a time zone, 1 minute to 30 days ahead; Starter plan and above. Null or left out: now.',
      examples: ['2026-04-07T08:00:00Z'],
    },
    tracking: {
      type: ['object', 'null'],
      additionalProperties: false,
      description: "Defaults to the sending domain's settings.",
      properties: {
        open: { type: 'boolean', description: 'Add an open pixel to the HTML.' },
        click: {
          enum: [true, false, 'htmlonly'],
          description: 'Track links: true (HTML and text), false, or htmlonly.',
        },
        pixel_position: { enum: ['top', 'bottom'], description: 'Where the open pixel goes in the HTML.' },
      },
    },
    unsubscribe: {
      type: ['boolean', 'null'],
      description:
        "List-Unsubscribe and List-Unsubscribe-Post headers on each recipient's copy. Defaults to the sending domain's unsubscribe_links.",
    },
    attachments: {
      type: ['array', 'null'],
      maxItems: MAX_ATTACHMENTS,
      items: attachment,
      description: 'Up to 100 files, 24 MiB decoded together.',
    },
  },
} as const;

/** A send body that matched `sendEmailBody`. */
export type SendEmailBody = FromSchema<typeof sendEmailBody>;
