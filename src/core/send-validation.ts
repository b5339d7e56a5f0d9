import type { Address, TrackingOverride } from '../model.js';
import { hasNul, NUL_ERROR } from './control-characters.js';
import type { FieldError } from './errors.js';
import {
  EMAIL_PATTERN,
  ISO_8601_PATTERN,
  MAX_ATTACHMENT_BYTES,
  MAX_RECIPIENTS,
  type SendEmailBody,
} from './send-body-schema.js';

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
  'dkim-signature',
  'reply-to',
  'sender',
  'return-path',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);
const RESERVED_HEADER_PREFIXES = ['dkim-', 'arc-'];
// No grouped repetition here: this runs over strings of up to 32 million characters.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const EMAIL = new RegExp(EMAIL_PATTERN, 'u');
const ISO_8601 = new RegExp(ISO_8601_PATTERN, 'u');

/** Whether `s` is a deliverable mailbox address (the send body's own rule). */
export function isEmailAddress(s: string): boolean {
  return EMAIL.test(s);
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
    if (RESERVED_HEADERS.has(lower)) r.add(`headers.${name}`, `cannot be set: ${name} is written by Taifa Mail`);
    else if (RESERVED_HEADER_PREFIXES.some((p) => lower.startsWith(p)))
      r.add(`headers.${name}`, 'cannot be set: signature headers are written by Taifa Mail');
  }
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

/** The send_at window, relative to now; the format is the schema's. Returns epoch ms. */
function sendAt(r: Rules, v: unknown, now: number): number | null {
  if (typeof v !== 'string' || !ISO_8601.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at))
    r.add('send_at', 'must be an ISO 8601 date-time with a time zone, such as 2026-06-01T09:00:00Z');
  else if (at < now + MIN_SCHEDULE_AHEAD_MS) r.add('send_at', 'must be at least 1 minute in the future');
  else if (at > now + MAX_SCHEDULE_AHEAD_MS) r.add('send_at', 'must be at most 30 days in the future');
  return Number.isNaN(at) ? null : at;
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
 * Checks a send body against every rule of the send body: the structure is the route schema's verdict
 * (`schemaErrors`), the rules a schema cannot express are checked here; together they name each faulty
 * field. Attachments too large (each or combined) make the answer 413, anything else 422.
 */
export function validateSendBody({ body, schemaErrors }: CheckedBody, now = Date.now()): SendValidation {
  const r = new Rules();
  let at: number | null = null;
  if (isObject(body)) {
    recipientTotal(r, body);
    content(r, body);
    reservedHeaders(r, body.headers);
    attachments(r, body.attachments);
    at = sendAt(r, body.send_at, now);
  } else if (schemaErrors.length === 0) {
    r.add('body', 'must be a JSON object'); // the schema says so too; this guards a caller that skipped it
  }
  const errors = [...schemaErrors, ...r.errors];
  if (errors.length > 0) return { ok: false, status: r.tooLarge ? 413 : 422, errors };
  return { ok: true, value: toSendRequest(body as SendEmailBody, r.attachments, at) };
}
