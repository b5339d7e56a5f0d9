import type { FieldError } from './errors.js';

/** Sentences that a schema gives for its own patterns and likely-slip unknown fields. */
export interface SchemaMessages {
  patterns?: Readonly<Record<string, string>>;
  unknownFields?: Readonly<Record<string, string>>;
}

/** What a JSON Schema validator (Ajv, as Fastify hands it over too) says about one part of the data. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
}

// Ajv repeats these as summaries of the errors it has already given in detail.
const SUMMARIES = new Set(['propertyNames', 'anyOf', 'oneOf', 'if']);
const ARTICLE: Record<string, string> = {
  string: 'a string',
  array: 'an array',
  object: 'an object',
  boolean: 'true or false',
  integer: 'an integer',
  number: 'a number',
  null: 'null',
};

const FORMATS: Record<string, string> = {
  'date-time': 'must be a real ISO 8601 date-time with a time zone, such as 2026-04-06T10:00:00Z',
  uuid: 'must be an id this API gave out',
};

/** JSON Pointer segments of an Ajv instancePath ('/to/0/email' → ['to', '0', 'email']). */
function pointerSegments(instancePath: string): string[] {
  return instancePath === ''
    ? []
    : instancePath
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `to[0].email`: indexes where the data holds an array, dots elsewhere (so a header named "123" stays `headers.123`).
 * */
function fieldName(segments: string[], data: unknown): string {
  let path = '';
  let node = data;
  for (const s of segments) {
    path = Array.isArray(node) ? `${path}[${s}]` : path ? `${path}.${s}` : s;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[s] : undefined;
  }
  return path;
}

function sentence(e: SchemaError, messages: SchemaMessages): string {
  const p = e.params;
  const n = (k: string) => Number(p[k]);
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return messages.unknownFields?.[String(p.additionalProperty)] ?? 'is not a known field';
    case 'type':
      return `must be ${String(p.type)
        .split(',')
        .map((t) => ARTICLE[t] ?? t)
        .join(' or ')}`;
    case 'pattern':
      return messages.patterns?.[String(p.pattern)] ?? 'has an invalid format';
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'maxLength':
      return `must be at most ${n('limit')} characters`;
    case 'minLength':
      return n('limit') === 1 ? 'must not be empty' : `must be at least ${n('limit')} characters`;
    case 'minimum':
      return `must be at least ${n('limit')}`;
    case 'maximum':
      return `must be at most ${n('limit')}`;
    case 'maxItems':
      return `must have at most ${n('limit')} items`;
    case 'minItems':
      return `must have at least ${n('limit')} item${n('limit') === 1 ? '' : 's'}`;
    case 'format':
      return FORMATS[String(p.format)] ?? `must be a valid ${String(p.format)}`;
    default:
      return e.message ?? 'is invalid';
  }
}

/**
 * A schema validator's errors as the API's `errors` list: each names the field at fault in the API's
 * notation (`to[0].email`, `headers.X-Custom`), relative to `data`; `root` names the data itself.
 */
export function schemaFieldErrors(
  errs: readonly SchemaError[],
  data: unknown,
  root = 'body',
  messages: SchemaMessages = {},
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errs) {
    if (SUMMARIES.has(e.keyword)) continue;
    const p = e.params as { missingProperty?: string; additionalProperty?: string };
    const child = p.missingProperty ?? p.additionalProperty ?? e.propertyName;
    const segments = [...pointerSegments(e.instancePath), ...(child === undefined ? [] : [child])];
    const error = { field: fieldName(segments, data) || root, error: sentence(e, messages) };
    const key = `${error.field}\0${error.error}`;
    if (!seen.has(key)) out.push(error);
    seen.add(key);
  }
  return out;
}
