import type { Address, TrackingOverride } from '../model.js';
import { bodyLimits } from './body-limits.js';
import { hasNul, NUL_ERROR } from './control-characters.js';
import type { FieldError } from './errors.js';
import { unfoldableHeaders } from './header-lines.js';
import { ISO_8601_PATTERN, parseIsoDateTime } from './iso-date-time.js';
import { EMAIL_PATTERN, MAX_ATTACHMENT_BYTES, MAX_RECIPIENTS, type SendEmailBody } from './send-body-schema.js';

export interface AttachmentInput {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A send request that passed every rule of the send body. */
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
  /** Unsubscribe headers on or off for this email; null for the sending domain's setting. */
  unsubscribe: boolean | null;
}

/** A body as it arrived, with what the route's JSON schema (core/send-body-schema.ts) found wrong in it. */
export interface CheckedBody {
  body: unknown;
  /** Field paths relative to the body; empty means the body matched the schema. */
  schemaErrors: FieldError[];
  /**
   * The body was over a size (core/send-body-bounds.ts, counted before the schema ran): `schemaErrors`
   * name only those sizes, and nothing else of the body is looked at.
   */
  oversized: boolean;
}

export type SendValidation = { ok: true; value: SendRequest } | { ok: false; status: 413 | 422; errors: FieldError[] };

/** `send_at` must be at least this far ahead… */
export const MIN_SCHEDULE_AHEAD_MS = 60_000;
/** …and at most this far (1 minute to 30 days). */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;

/** Headers the platform writes itself; a custom header may not override them, in any letter case. */
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'reply-to',
  'sender',
  'return-path',
  'date',
  'mime-version',
]);
/** Trace headers: added by the servers a message passes through, never by its sender. */
const TRACE_HEADERS = new Set(['received', 'authentication-results']);
/** Families of headers a sender must not write, by prefix, and why. */
const RESERVED_HEADER_PREFIXES: ReadonlyArray<[string, string]> = [
  ['dkim-', 'signature headers are written by Taifa Mail'],
  ['arc-', 'signature headers are written by Taifa Mail'],
  // Content-Type, -Transfer-Encoding, -Disposition (which would make the whole message an attachment)…
  ['content-', 'Content- headers describe the MIME structure, which Taifa Mail writes'],
  ['resent-', 'Resent- headers are for re-sending a received message, not for sending one'],
];
// No grouped repetition here: this runs over strings of up to 32 million characters.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const EMAIL = new RegExp(EMAIL_PATTERN, 'u');
const ISO_8601 = new RegExp(ISO_8601_PATTERN, 'u');

/** String.prototype.isWellFormed (Node 20; TypeScript's own types have it from ES2024): no lone surrogate. */
export function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Whether `s` is a deliverable mailbox address (the send body's own rule). */
export function isEmailAddress(s: string): boolean {
  return EMAIL.test(s) && isWellFormed(s);
}

function isBase64(s: string): boolean {
  const compact = /\s/.test(s) ? s.replace(/\s+/g, '') : s;
  return compact.length % 4 === 0 && BASE64_CHARS.test(compact);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The rules below read the raw body: after a schema failure its values may have any type, so each skips what it cannot
 * read. */
class Rules {
  readonly errors: FieldError[] = [];
  tooLarge = false;
  readonly attachments: Buffer[] = [];
  add(field: string, error: string): void {
    this.errors.push({ field, error });
  }
}

function recipientTotal(r: Rules, body: Record<string, unknown>): void {
  const lists = ['to', 'cc', 'bcc'].map((k) => body[k]).filter(Array.isArray);
  const total = lists.reduce((n, l) => n + l.length, 0);
  if (total > MAX_RECIPIENTS && lists.every((l) => l.length <= MAX_RECIPIENTS))
    r.add('to', `to, cc and bcc together must have at most ${MAX_RECIPIENTS} recipients`);
}

function content(r: Rules, body: Record<string, unknown>): void {
  const absent = (v: unknown) => v === undefined || v === null || v === '';
  if (absent(body.html) && absent(body.text)) r.add('html', 'at least one of html or text is required');
  for (const field of ['html', 'text'] as const) {
    const v = body[field];
    if (typeof v === 'string' && hasNul(v)) r.add(field, NUL_ERROR);
  }
}

function reservedHeaders(r: Rules, headers: unknown): void {
  if (!isObject(headers)) return;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    const family = RESERVED_HEADER_PREFIXES.find(([prefix]) => lower.startsWith(prefix));
    if (RESERVED_HEADERS.has(lower)) r.add(`headers.${name}`, `cannot be set: ${name} is written by Taifa Mail`);
    else if (TRACE_HEADERS.has(lower))
      r.add(`headers.${name}`, 'cannot be set: trace headers are added by the servers a message passes through');
    else if (family) r.add(`headers.${name}`, `cannot be set: ${family[1]}`);
  }
}

/** The text fields of a body that reached core (each only where it is a string), by field name. */
function textFields(body: Record<string, unknown>): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const address = (field: string, a: unknown) => {
    if (isObject(a)) out.push([`${field}.email`, a.email], [`${field}.name`, a.name]);
  };
  address('from_', body.from_);
  address('reply_to', body.reply_to);
  for (const kind of ['to', 'cc', 'bcc'])
    if (Array.isArray(body[kind])) body[kind].forEach((a: unknown, i) => address(`${kind}[${i}]`, a));
  out.push(['subject', body.subject], ['html', body.html], ['text', body.text]);
  if (isObject(body.headers)) for (const [k, v] of Object.entries(body.headers)) out.push([`headers.${k}`, v]);
  if (Array.isArray(body.tags)) body.tags.forEach((t: unknown, i) => out.push([`tags[${i}]`, t]));
  if (Array.isArray(body.attachments))
    body.attachments.forEach((a: unknown, i) => {
      if (isObject(a)) out.push([`attachments[${i}].filename`, a.filename]);
    });
  return out;
}

/**
 * No lone (unpaired) UTF-16 surrogate in any text: JSON can carry one (as \ud83d), but it is no character, and
 * each database, the MIME encoder and every receiver would turn it into a different one (or U+FFFD), so an
 * address would be stored as one thing and delivered to another. A schema pattern cannot say this the same
 * way with and without the u flag, hence here.
 */
function wholeCharacters(r: Rules, body: Record<string, unknown>): void {
  for (const [field, v] of textFields(body))
    if (typeof v === 'string' && !isWellFormed(v))
      r.add(field, 'must not contain a lone UTF-16 surrogate (half of a character, such as \\ud83d alone)');
}

/** Decodes each attachment; sizes beyond 24 MiB (each or together) make the answer 413. */
function attachments(r: Rules, list: unknown): void {
  if (!Array.isArray(list)) return;
  let total = 0;
  list.forEach((item: unknown, i) => {
    const field = `attachments[${i}].content_base64`;
    const b64 = isObject(item) ? item.content_base64 : undefined;
    if (typeof b64 !== 'string' || b64 === '') return;
    // Cheap size check before decoding: base64 is 4 characters per 3 bytes.
    if (Math.floor((b64.length * 3) / 4) - 2 > MAX_ATTACHMENT_BYTES) {
      r.add(field, 'is larger than 24 MiB');
      r.tooLarge = true;
      return;
    }
    if (b64.startsWith('data:') || !isBase64(b64)) {
      r.add(field, 'must be plain base64 (no data: prefix)');
      return;
    }
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length > MAX_ATTACHMENT_BYTES) {
      r.add(field, 'is larger than 24 MiB');
      r.tooLarge = true;
      return;
    }
    total += bytes.length;
    r.attachments[i] = bytes;
  });
  if (total > MAX_ATTACHMENT_BYTES) {
    r.add('attachments', 'are larger than 24 MiB combined');
    r.tooLarge = true;
  }
}

/** The caps on the bodies and their links (core/body-limits.ts): a body too large is 413, too many links 422. */
function bodyCaps(r: Rules, body: Record<string, unknown>): void {
  const { tooLarge, tooManyLinks } = bodyLimits(body);
  for (const e of [...tooLarge, ...tooManyLinks]) r.add(e.field, e.error);
  if (tooLarge.length > 0) r.tooLarge = true;
}

/** A real date and time within the send_at window, relative to now; the format is the schema's. Returns epoch ms. */
function sendAt(r: Rules, v: unknown, now: number): number | null {
  if (typeof v !== 'string' || !ISO_8601.test(v)) return null;
  const parsed = parseIsoDateTime(v);
  if (!parsed.ok) {
    r.add('send_at', parsed.error);
    return null;
  }
  const at = parsed.ms;
  if (at < now + MIN_SCHEDULE_AHEAD_MS) r.add('send_at', 'must be at least 1 minute in the future');
  else if (at > now + MAX_SCHEDULE_AHEAD_MS) r.add('send_at', 'must be at most 30 days in the future');
  return at;
}

function mailbox(a: { email: string; name?: string | null }): Address {
  return { email: a.email, name: a.name?.trim() || null };
}

/** The request the rest of the system works with, from a body that matched the schema and the rules. */
function toSendRequest(body: SendEmailBody, decoded: Buffer[], sendAtMs: number | null): SendRequest {
  const tags: string[] = [];
  for (const t of body.tags ?? []) if (!tags.includes(t.trim())) tags.push(t.trim());
  return {
    from: mailbox(body.from_),
    to: body.to.map(mailbox),
    cc: (body.cc ?? []).map(mailbox),
    bcc: (body.bcc ?? []).map(mailbox),
    replyTo: body.reply_to ? mailbox(body.reply_to) : null,
    subject: body.subject,
    html: body.html || null,
    text: body.text || null,
    headers: { ...body.headers },
    tags,
    attachments: (body.attachments ?? []).map((a, i) => ({
      filename: a.filename.trim(),
      contentType: a.content_type?.toLowerCase() ?? 'application/octet-stream',
      // Every attachment that reached here was decoded (a failure to decode is an error above).
      content: decoded[i] ?? Buffer.alloc(0),
    })),
    sendAt: sendAtMs,
    tracking: { ...body.tracking },
    unsubscribe: body.unsubscribe ?? null,
  };
}

/**
 * Checks a send body against every rule of the send body: its sizes and structure are the route schema's
 * verdict (`schemaErrors`, `oversized`), the rules a schema cannot express are checked here; together
 * they name each faulty field. Attachments or bodies too large make the answer 413, anything else 422.
 */
export function validateSendBody({ body, schemaErrors, oversized }: CheckedBody, now = Date.now()): SendValidation {
  // Over a size, the body's parts are not looked at (the schema did not look either).
  if (oversized) return { ok: false, status: 422, errors: schemaErrors };
  const r = new Rules();
  let at: number | null = null;
  if (isObject(body)) {
    recipientTotal(r, body);
    content(r, body);
    reservedHeaders(r, body.headers);
    for (const e of unfoldableHeaders(body.headers)) r.add(e.field, e.error);
    wholeCharacters(r, body);
    attachments(r, body.attachments);
    bodyCaps(r, body);
    at = sendAt(r, body.send_at, now);
  } else if (schemaErrors.length === 0) {
    r.add('body', 'must be a JSON object'); // the schema says so too; this guards a caller that skipped it
  }
  const errors = [...schemaErrors, ...r.errors];
  if (errors.length > 0) return { ok: false, status: r.tooLarge ? 413 : 422, errors };
  return { ok: true, value: toSendRequest(body as SendEmailBody, r.attachments, at) };
}
