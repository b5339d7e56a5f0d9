import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchema } from 'fastify';
import { ISO_8601_PATTERN } from '../core/send-body-schema.js';

/** ISO 8601 with a time zone (as send_at): a bare local time would be read in the server's zone. */
const ISO_WITH_ZONE = new RegExp(ISO_8601_PATTERN, 'u');
/** The ids this API gives out (UUIDs); anything else names nothing. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The validator of query strings and path parameters. They arrive as text, so unlike bodies (where
 * `"5"` for a number is the caller's mistake) their declared integers are coerced, and defaults are
 * filled in: the handler receives `limit: 20`, not `undefined` or `"20"`. A repeated parameter
 * arrives as an array and fails its type (the error handler says "must be given once").
 */
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, removeAdditional: false });
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s: string) => ISO_WITH_ZONE.test(s) && !Number.isNaN(Date.parse(s)),
});
ajv.addFormat('uuid', UUID);

/** Route option: the route's query string and parameters are validated (and coerced) by their schema. */
export const querySchemaValidation = {
  validatorCompiler: ({ schema }: { schema: FastifySchema }): ValidateFunction => ajv.compile(schema),
};
