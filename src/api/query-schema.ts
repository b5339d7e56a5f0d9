import { Ajv } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import { errors } from '../core/errors.js';
import { parseIsoDateTime } from '../core/iso-date-time.js';

type FastifyValidationResult = ReturnType<FastifySchemaCompiler<unknown>>;
/** The ids this API gives out (UUIDs); anything else names nothing. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The validator of query strings and path parameters. They arrive as text, so unlike bodies (where
 * `"5"` for a number is the caller's mistake) their declared integers are coerced, and defaults are
 * filled in: the handler receives `limit: 20`, not `undefined` or `"20"`. A repeated parameter
 * arrives as an array and fails its type (the error handler says "must be given once").
 *
 * strictNumbers is off on purpose: with it on, Ajv coerces "Infinity" (or "1e400") to a number that its
 * integer check refuses but its range checks skip (they test isFinite first), so `page=Infinity` passed
 * and reached the database. Off, the bounds that every integer here has refuse it.
 */
// strictNumbers off: with it, Ajv coerces "Infinity" (or 1e400) to a number its range checks then skip.
const ajv = new Ajv({
  coerceTypes: true,
  useDefaults: true,
  allErrors: true,
  removeAdditional: false,
  strictNumbers: false,
});
// A real ISO 8601 date-time with a time zone (as send_at): a bare local time would be read in the
// server's zone, and an impossible date (30 February) rolled over into another.
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseIsoDateTime(s).ok });
ajv.addFormat('uuid', UUID);

/**
 * A NUL in a parameter (`tag=a%00b`) names nothing: PostgreSQL cannot hold one in text and refuses the
 * query, and SQLite's full-text syntax ends a string at one. The parameters holding one, as schema errors.
 */
function nulErrors(data: unknown): FastifySchemaValidationError[] {
  if (data === null || typeof data !== 'object') return [];
  return Object.entries(data)
    .filter(([, v]) => [v].flat().some((s) => typeof s === 'string' && s.includes('\u0000')))
    .map(([name]) => ({
      keyword: 'nul',
      instancePath: `/${name}`,
      schemaPath: '#',
      params: {},
      message: 'must not contain a NUL character (U+0000)',
    }));
}

/** Route option: the route's query string and parameters are validated (and coerced) by their schema. */
export const querySchemaValidation = {
  validatorCompiler: ({ schema }: { schema: FastifySchema }): FastifyValidationResult => {
    const validate = ajv.compile(schema);
    const check: FastifyValidationResult = (data: unknown) => {
      const nul = nulErrors(data);
      const valid = validate(data);
      check.errors = nul.length ? [...nul, ...(validate.errors ?? [])] : validate.errors;
      return valid && nul.length === 0;
    };
    return check;
  },
};

/** A `date-time` query parameter (already validated by its schema) as epoch ms; undefined when not given. */
export function queryTime(value: string, field: string): number;
export function queryTime(value: string | undefined, field: string): number | undefined;
export function queryTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseIsoDateTime(value);
  if (!parsed.ok) throw errors.validation([{ field, error: parsed.error }]);
  return parsed.ms;
}
