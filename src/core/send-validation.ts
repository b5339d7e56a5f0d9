import type { FieldError } from './errors.js';

/** A mailbox: address plus optional display name. */
export interface Address {
  email: string;
  name: string | null;
}

export interface AttachmentInput {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A send request that passed every rule of seed 001. */
export interface SendRequest {
  from: Address;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address | null;
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  tags: string[];
  attachments: AttachmentInput[];
  /** When to send (epoch ms), or null for now. */
  sendAt: number | null;
  /** Per-email tracking; unset parts default to the sending domain's settings. */
  tracking: TrackingOverride;
}

/** The `tracking` object of a send body (seed 003). */
export interface TrackingOverride {
  open?: boolean;
  click?: boolean | 'htmlonly';
  pixel_position?: 'top' | 'bottom';
}

export type SendValidation =
  | { ok: true; value: SendRequest }
  | { ok: false; status: 413 | 422; errors: FieldError[] };

/** 24 MiB, per file and for all attachments together (seed 001). */
export const MAX_ATTACHMENT_BYTES = 24 * 1024 * 1024;
export const MAX_RECIPIENTS = 50;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 256;
export const MAX_SUBJECT_LENGTH = 998;
/** `send_at` must be at least this far ahead… */
export const MIN_SCHEDULE_AHEAD_MS = 60_000;
/** …and at most this far (seed 001: 1 minute to 30 days). */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const KNOWN_FIELDS = new Set(['from_', 'to', 'subject', 'html', 'text', 'cc', 'bcc', 'reply_to', 'headers', 'tags', 'send_at', 'attachments', 'tracking']);

/** Headers the platform writes itself; a custom header may not override them. */
const RESERVED_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'subject', 'message-id', 'dkim-signature', 'reply-to', 'sender', 'return-path',
  'date', 'mime-version', 'content-type', 'content-transfer-encoding',
]);

// Practical RFC 5321 mailbox check: one @, no spaces, control or specials, a dotted domain of valid labels.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9\u0080-\uFFFF]([A-Za-z0-9\u0080-\uFFFF-]{0,61}[A-Za-z0-9\u0080-\uFFFF])?\.)+[A-Za-z\u0080-\uFFFF]{2,63}$/;
const HEADER_NAME = /^[!-9;-~]+$/; // printable ASCII except ':' (RFC 5322 ftext)
// No grouped repetition here: this runs over strings of up to 32 million characters.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const CRLF = /[\r\n]/;

/** Whether `s` is a deliverable mailbox address. */
export function isEmailAddress(s: string): boolean {
  const at = s.lastIndexOf('@');
  if (at <= 0 || s.length > 254) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  return local.length <= 64 && LOCAL_PART.test(local) && DOMAIN.test(domain);
}

function isBase64(s: string): boolean {
  const compact = /\s/.test(s) ? s.replace(/\s+/g, '') : s;
  return compact.length % 4 === 0 && BASE64_CHARS.test(compact);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Collector {
  readonly errors: FieldError[] = [];
  tooLarge = false;
  add(field: string, error: string): void {
    this.errors.push({ field, error });
  }
}

function address(c: Collector, v: unknown, field: string): Address | null {
  if (!isObject(v)) {
    c.add(field, 'must be an object with an "email" field');
    return null;
  }
  const { email, name } = v;
  let ok = true;
  if (typeof email !== 'string' || email.trim() === '') {
    c.add(`${field}.email`, 'is required');
    ok = false;
  } else if (!isEmailAddress(email.trim())) {
    c.add(`${field}.email`, `"${email.slice(0, 100)}" is not a valid email address`);
    ok = false;
  }
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string') {
      c.add(`${field}.name`, 'must be a string');
      ok = false;
    } else if (CRLF.test(name)) {
      c.add(`${field}.name`, 'must not contain line breaks');
      ok = false;
    } else if (name.length > 256) {
      c.add(`${field}.name`, 'must be at most 256 characters');
      ok = false;
    }
  }
  if (!ok) return null;
  const trimmedName = typeof name === 'string' && name.trim() !== '' ? name.trim() : null;
  return { email: (email as string).trim(), name: trimmedName };
}

function addressList(c: Collector, v: unknown, field: string, required: boolean): Address[] {
  if (v === undefined || v === null) {
    if (required) c.add(field, 'is required: give at least one recipient');
    return [];
  }
  if (!Array.isArray(v)) {
    c.add(field, 'must be an array of {"email", "name"} objects');
    return [];
  }
  if (required && v.length === 0) c.add(field, 'must contain at least one recipient');
  const out: Address[] = [];
  v.forEach((item, i) => {
    const a = address(c, item, `${field}[${i}]`);
    if (a) out.push(a);
  });
  return out;
}

function optionalString(c: Collector, v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    c.add(field, 'must be a string');
    return null;
  }
  return v;
}

function headers(c: Collector, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    c.add('headers', 'must be an object mapping header names to string values');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(v)) {
    const field = `headers.${name}`;
    if (!HEADER_NAME.test(name) || name.length > 76) c.add(field, 'is not a valid header name');
    else if (RESERVED_HEADERS.has(name.toLowerCase())) c.add(field, `cannot be set: ${name} is written by Taifa Mail`);
    else if (name.toLowerCase().startsWith('dkim-') || name.toLowerCase().startsWith('arc-')) c.add(field, 'cannot be set: signature headers are written by Taifa Mail');
    else if (typeof value !== 'string') c.add(field, 'must be a string');
    else if (CRLF.test(value)) c.add(field, 'must not contain CR or LF characters');
    else if (value.length > 2000) c.add(field, 'must be at most 2000 characters');
    else out[name] = value;
  }
  return out;
}

function tags(c: Collector, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.add('tags', 'must be an array of strings');
    return [];
  }
  if (v.length > MAX_TAGS) c.add('tags', `must have at most ${MAX_TAGS} tags`);
  const out: string[] = [];
  v.forEach((t, i) => {
    if (typeof t !== 'string' || t.trim() === '') c.add(`tags[${i}]`, 'must be a non-empty string');
    else if (t.length > MAX_TAG_LENGTH || CRLF.test(t)) c.add(`tags[${i}]`, `must be one line of at most ${MAX_TAG_LENGTH} characters`);
    else if (!out.includes(t.trim())) out.push(t.trim());
  });
  return out;
}

function attachments(c: Collector, v: unknown): AttachmentInput[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.add('attachments', 'must be an array of {"filename", "content_base64", "content_type"} objects');
    return [];
  }
  const out: AttachmentInput[] = [];
  let total = 0;
  v.forEach((item, i) => {
    const field = `attachments[${i}]`;
    if (!isObject(item)) {
      c.add(field, 'must be an object');
      return;
    }
    const { filename, content_base64: b64, content_type: type } = item;
    let ok = true;
    if (typeof filename !== 'string' || filename.trim() === '') {
      c.add(`${field}.filename`, 'is required');
      ok = false;
    } else if (/[/\\]/.test(filename)) {
      c.add(`${field}.filename`, 'must not contain path separators (/ or \\)');
      ok = false;
    } else if (/[\x00-\x1f\x7f]/.test(filename) || filename === '.' || filename === '..' || filename.length > 255) {
      c.add(`${field}.filename`, 'must be a plain file name without control characters, at most 255 characters');
      ok = false;
    }
    let contentType = 'application/octet-stream';
    if (type !== undefined && type !== null) {
      if (typeof type !== 'string' || !MIME_TYPE.test(type)) {
        c.add(`${field}.content_type`, 'must be a MIME type such as application/pdf');
        ok = false;
      } else contentType = type.toLowerCase();
    }
    if (typeof b64 !== 'string' || b64 === '') {
      c.add(`${field}.content_base64`, 'is required');
      return;
    }
    // Cheap size check before decoding: base64 is 4 characters per 3 bytes.
    const approxBytes = Math.floor((b64.length * 3) / 4);
    if (approxBytes - 2 > MAX_ATTACHMENT_BYTES) {
      c.add(`${field}.content_base64`, 'is larger than 24 MiB');
      c.tooLarge = true;
      return;
    }
    if (b64.startsWith('data:') || !isBase64(b64)) {
      c.add(`${field}.content_base64`, 'must be plain base64 (no data: prefix)');
      return;
    }
    const content = Buffer.from(b64, 'base64');
    if (content.length > MAX_ATTACHMENT_BYTES) {
      c.add(`${field}.content_base64`, 'is larger than 24 MiB');
      c.tooLarge = true;
      return;
    }
    total += content.length;
    if (ok) out.push({ filename: (filename as string).trim(), contentType, content });
  });
  if (total > MAX_ATTACHMENT_BYTES) {
    c.add('attachments', 'are larger than 24 MiB combined');
    c.tooLarge = true;
  }
  return out;
}

function tracking(c: Collector, v: unknown): TrackingOverride {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    c.add('tracking', 'must be an object such as {"open": true, "click": "htmlonly"}');
    return {};
  }
  const out: TrackingOverride = {};
  for (const key of Object.keys(v)) if (!['open', 'click', 'pixel_position'].includes(key)) c.add(`tracking.${key}`, 'is not a known field');
  if (v.open !== undefined) {
    if (typeof v.open !== 'boolean') c.add('tracking.open', 'must be true or false');
    else out.open = v.open;
  }
  if (v.click !== undefined) {
    if (typeof v.click !== 'boolean' && v.click !== 'htmlonly') c.add('tracking.click', 'must be true, false or "htmlonly"');
    else out.click = v.click;
  }
  if (v.pixel_position !== undefined) {
    if (v.pixel_position !== 'top' && v.pixel_position !== 'bottom') c.add('tracking.pixel_position', 'must be "top" or "bottom"');
    else out.pixel_position = v.pixel_position;
  }
  return out;
}

function sendAt(c: Collector, v: unknown, now: number): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !ISO_8601.test(v) || Number.isNaN(Date.parse(v))) {
    c.add('send_at', 'must be an ISO 8601 date-time with a time zone, such as 2026-06-01T09:00:00Z');
    return null;
  }
  const at = Date.parse(v);
  if (at < now + MIN_SCHEDULE_AHEAD_MS) c.add('send_at', 'must be at least 1 minute in the future');
  else if (at > now + MAX_SCHEDULE_AHEAD_MS) c.add('send_at', 'must be at most 30 days in the future');
  return at;
}

/** Checks a send body against every rule of seed 001; names each faulty field. */
export function validateSendBody(body: unknown, now = Date.now()): SendValidation {
  const c = new Collector();
  if (!isObject(body)) {
    return { ok: false, status: 422, errors: [{ field: 'body', error: 'must be a JSON object' }] };
  }
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key)) c.add(key, key === 'from' ? 'is not a field: the sender goes in "from_"' : 'is not a known field');
  }
  const from = body.from_ === undefined || body.from_ === null ? (c.add('from_', 'is required'), null) : address(c, body.from_, 'from_');
  const to = addressList(c, body.to, 'to', true);
  const cc = addressList(c, body.cc, 'cc', false);
  const bcc = addressList(c, body.bcc, 'bcc', false);
  const recipients = (Array.isArray(body.to) ? body.to.length : 0) + (Array.isArray(body.cc) ? body.cc.length : 0) + (Array.isArray(body.bcc) ? body.bcc.length : 0);
  if (recipients > MAX_RECIPIENTS) c.add('to', `to, cc and bcc together must have at most ${MAX_RECIPIENTS} recipients`);
  const replyTo = body.reply_to === undefined || body.reply_to === null ? null : address(c, body.reply_to, 'reply_to');

  let subject = '';
  if (typeof body.subject !== 'string' || body.subject.trim() === '') c.add('subject', 'is required');
  else if (CRLF.test(body.subject)) c.add('subject', 'must not contain line breaks');
  else if (body.subject.length > MAX_SUBJECT_LENGTH) c.add('subject', `must be at most ${MAX_SUBJECT_LENGTH} characters`);
  else subject = body.subject;

  const html = optionalString(c, body.html, 'html');
  const text = optionalString(c, body.text, 'text');
  if (!html && !text && !c.errors.some((e) => e.field === 'html' || e.field === 'text')) {
    c.add('html', 'at least one of html or text is required');
  }

  const value: SendRequest = {
    from: from ?? { email: '', name: null },
    to,
    cc,
    bcc,
    replyTo,
    subject,
    html: html || null,
    text: text || null,
    headers: headers(c, body.headers),
    tags: tags(c, body.tags),
    attachments: attachments(c, body.attachments),
    sendAt: sendAt(c, body.send_at, now),
    tracking: tracking(c, body.tracking),
  };
  if (c.errors.length > 0) return { ok: false, status: c.tooLarge ? 413 : 422, errors: c.errors };
  return { ok: true, value };
}
