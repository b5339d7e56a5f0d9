import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { sendBodyBounds, type BoundError } from './send-body-bounds.js';
import { sendBodyPatternMessages, sendBodyUnknownFieldHints, sendEmailBody } from './send-body-schema.js';
import { schemaFieldErrors, type SchemaError } from './schema-field-errors.js';
import type { CheckedBody } from './send-validation.js';

/**
 * Checking a send body against its schema, for every way in: the API's send routes (through Fastify's
 * validator, send-body-validator.ts) and the command line's `taifa send` alike. The sizes are counted
 * first (send-body-bounds.ts), and only a body within them goes to Ajv, which reports every error of every
 * part and so would otherwise walk all of a million headers. Options as the app's own Ajv (app.ts).
 */
const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true });

/** Compiles a schema with the send bodies' Ajv. */
export function compileSchema(schema: object): ValidateFunction {
  return ajv.compile(schema);
}

/** The keyword of a size error, which Ajv itself never uses. */
const BOUNDS = 'bounds';

/** Whether a body's errors are its sizes (so nothing else of it was checked). */
function isOversized(errors: ReadonlyArray<{ keyword: string }>): boolean {
  return errors.some((e) => e.keyword === BOUNDS);
}

/** A JSON Pointer segment (RFC 6901): a header may be named X-A/B. */
const segment = (p: string | number) => String(p).replace(/~/g, '~0').replace(/\//g, '~1');

function asAjvError(e: BoundError, prefix: string): ErrorObject {
  return {
    keyword: BOUNDS,
    instancePath: prefix + e.path.map((p) => `/${segment(p)}`).join(''),
    schemaPath: '#',
    params: {},
    message: e.error,
  };
}

/** One send body's errors, as Ajv's: its sizes first, then (within them) the schema's; paths under `prefix`. */
export function sendBodyErrors(validate: ValidateFunction, body: unknown, prefix = ''): ErrorObject[] {
  const over = sendBodyBounds(body);
  if (over.length > 0) return over.map((e) => asAjvError(e, prefix));
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => ({ ...e, instancePath: prefix + e.instancePath }));
}

/** A send body with what `sendBodyErrors` found in it, in the API's words (`to[0].email is not a valid…`). */
export function checkedSendBody(body: unknown, errors: readonly SchemaError[]): CheckedBody {
  return {
    body,
    schemaErrors: schemaFieldErrors(errors, body, 'body', {
      patterns: sendBodyPatternMessages,
      unknownFields: sendBodyUnknownFieldHints,
    }),
    oversized: isOversized(errors),
  };
}

let validateOne: ValidateFunction | null = null;

/** A send body (the JSON of POST /v1/emails/) checked against the schema, ready for the send services. */
export function checkSendBody(body: unknown): CheckedBody {
  validateOne ??= compileSchema(sendEmailBody);
  return checkedSendBody(body, sendBodyErrors(validateOne, body));
}
