import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchema } from 'fastify';
import { errors } from '../core/errors.js';
import { parseIsoDateTime } from '../core/iso-date-time.js';
/** The ids this API gives out (UUIDs); anything else names nothing. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The validator of query strings and path parameters. They arrive as text, so unlike bodies (where
 * `"5"` for a number is the caller's mistake) their declared integers are coerced, and defaults are
 * filled in: the handler receives `limit: 20`, not `undefined` or `"20"`. A repeated parameter
 * arrives as an array and fails its type (the error handler says "must be given once").
 */
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, removeAdditional: false });
// A real ISO 8601 date-time with a time zone (as send_at): a bare local time would be read in the
// server's zone, and an impossible date (30 February) rolled over into another.
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseIsoDateTime(s).ok });
ajv.addFormat('uuid', UUID);

/** Route option: the route's query string and parameters are validated (and coerced) by their schema. */
export const querySchemaValidation = {
  validatorCompiler: ({ schema }: { schema: FastifySchema }): ValidateFunction => ajv.compile(schema),
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
