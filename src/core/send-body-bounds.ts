import {
  MAX_ATTACHMENTS,
  MAX_EMAIL_LENGTH,
  MAX_FILENAME_LENGTH,
  MAX_HEADER_NAME_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_HEADERS_BYTES,
  MAX_NAME_LENGTH,
  MAX_RECIPIENTS,
  MAX_SUBJECT_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  sendEmailBody,
} from './send-body-schema.js';

/**
 * The sizes of a send body, counted before its schema checks it part by part. A JSON Schema validator
 * that reports every error (as ours does, so that each faulty field is named) visits every item of an
 * array and every field of an object even past their maximum, and runs each pattern over the whole of
 * a string even past its maximum length: a body of 1,000,000 headers, tags or unknown fields, or one
 * 39 MB name, kept the event loop busy for a second or more (and 1,000,000 valid headers were accepted).
 * Counting costs a fraction of reading the JSON in the first place; a body over a size is refused with
 * these errors alone, and its parts are never checked.
 */

/** A field at fault, by its path in the body (`['to', 3, 'email']`), and the sentence for it. */
export interface BoundError {
  path: ReadonlyArray<string | number>;
  error: string;
}

/**
 * Fields in an object of the send body beyond which it is refused whole. Each unknown field is its own
 * error (its name is the help a caller needs), so the bound is loose: well above the fields there are.
 */
const MAX_FIELDS = 64;
const KNOWN_FIELDS = Object.keys(sendEmailBody.properties).length;
const KNOWN_TRACKING_FIELDS = Object.keys(sendEmailBody.properties.tracking.properties).length;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Bounds {
  readonly errors: BoundError[] = [];
  fields(path: Array<string | number>, o: Record<string, unknown>, known: number): void {
    const n = Object.keys(o).length;
    if (n > MAX_FIELDS) this.errors.push({ path, error: `has ${n} fields; it has at most ${known}` });
  }
  items(path: Array<string | number>, v: unknown, max: number): unknown[] {
    if (!Array.isArray(v)) return [];
    if (v.length <= max) return v;
    this.errors.push({ path, error: `must have at most ${max} items` });
    return [];
  }
  length(path: Array<string | number>, v: unknown, max: number): void {
    if (typeof v === 'string' && v.length > max) this.errors.push({ path, error: `must be at most ${max} characters` });
  }
  address(path: Array<string | number>, a: unknown): void {
    if (!isObject(a)) return;
    this.length([...path, 'email'], a.email, MAX_EMAIL_LENGTH);
    this.length([...path, 'name'], a.name, MAX_NAME_LENGTH);
  }
  headers(h: unknown): void {
    if (!isObject(h)) return;
    const names = Object.keys(h);
    if (names.length > MAX_HEADERS) {
      this.errors.push({
        path: ['headers'],
        error: `must have at most ${MAX_HEADERS} headers (it has ${names.length})`,
      });
      return;
    }
    let bytes = 0;
    for (const name of names) {
      const value = h[name];
      this.length(['headers', name], name, MAX_HEADER_NAME_LENGTH);
      this.length(['headers', name], value, MAX_HEADER_VALUE_LENGTH);
      bytes += Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    }
    if (bytes > MAX_HEADERS_BYTES)
      this.errors.push({
        path: ['headers'],
        error: `must be at most ${MAX_HEADERS_BYTES / 1024} KiB (${MAX_HEADERS_BYTES} bytes in UTF-8) of names and values together, not ${bytes}`,
      });
  }
}

/** What is over a size in a send body (anything else is for the schema and the rules to judge). */
export function sendBodyBounds(body: unknown): BoundError[] {
  const b = new Bounds();
  if (!isObject(body)) return b.errors;
  b.fields([], body, KNOWN_FIELDS);
  if (isObject(body.tracking)) b.fields(['tracking'], body.tracking, KNOWN_TRACKING_FIELDS);
  b.address(['from_'], body.from_);
  b.address(['reply_to'], body.reply_to);
  for (const kind of ['to', 'cc', 'bcc'])
    b.items([kind], body[kind], MAX_RECIPIENTS).forEach((a, i) => b.address([kind, i], a));
  b.length(['subject'], body.subject, MAX_SUBJECT_LENGTH);
  b.headers(body.headers);
  b.items(['tags'], body.tags, MAX_TAGS).forEach((t, i) => b.length(['tags', i], t, MAX_TAG_LENGTH));
  b.items(['attachments'], body.attachments, MAX_ATTACHMENTS).forEach((a, i) => {
    if (isObject(a)) b.length(['attachments', i, 'filename'], a.filename, MAX_FILENAME_LENGTH);
  });
  return b.errors;
}
