import type { FastifySchemaValidationError } from 'fastify';
import type { FieldError } from '../core/errors.js';
import { schemaFieldErrors as fieldErrors, type SchemaMessages } from '../core/schema-field-errors.js';
import { NOT_BLANK, ONE_LINE } from './schemas.js';

/** The sentences of the API's own shared patterns (schemas.ts); a route's messages come first. */
const PATTERNS: Record<string, string> = {
  [NOT_BLANK]: 'must not be blank',
  [ONE_LINE]: 'must be one line without control characters',
};

/**
 * Ajv's errors as the API's `errors` list: each names the field at fault in the API's notation
 * (`to[0].email`, `headers.X-Custom`), relative to `data`; `root` names the data itself.
 */
export function schemaFieldErrors(
  errs: readonly FastifySchemaValidationError[],
  data: unknown,
  root = 'body',
  messages: SchemaMessages = {},
): FieldError[] {
  return fieldErrors(errs, data, root, { ...messages, patterns: { ...PATTERNS, ...messages.patterns } });
}

/** Splits the errors of an array body by element: those of the array itself, and each element's own. */
export function splitByElement(errs: readonly FastifySchemaValidationError[]): {
  envelope: FastifySchemaValidationError[];
  elements: Map<number, FastifySchemaValidationError[]>;
} {
  const envelope: FastifySchemaValidationError[] = [];
  const elements = new Map<number, FastifySchemaValidationError[]>();
  for (const e of errs) {
    const m = /^\/(\d+)(\/.*)?$/.exec(e.instancePath);
    if (!m) {
      envelope.push(e);
      continue;
    }
    const i = Number(m[1]);
    elements.set(i, [...(elements.get(i) ?? []), { ...e, instancePath: m[2] ?? '' }]);
  }
  return { envelope, elements };
}
