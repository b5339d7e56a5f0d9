import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifySchema } from 'fastify';
import { sendBodyBounds, type BoundError } from '../core/send-body-bounds.js';

/**
 * The validator of the send routes' bodies: core/send-body-bounds.ts counts the sizes of a send body
 * first, and only a body within them goes to Ajv, which reports every error of every part and so would
 * otherwise walk all of a million headers. The errors come out as Ajv's do, so the route reads them the
 * same way (attachValidation); a batch is checked element by element, so that one element over a size
 * is refused alone and the others go out. Options as the app's own Ajv (app.ts).
 */
const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true });

type Verdict = true | { error: ErrorObject[] };

/** The keyword of a size error, which Ajv itself never uses. */
const BOUNDS = 'bounds';

/** Whether a body's errors are its sizes (so nothing else of it was checked). */
export function isOversized(errors: ReadonlyArray<{ keyword: string }>): boolean {
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

/** One send body's errors: its sizes first, then (within them) the schema's; paths under `prefix`. */
function sendBodyErrors(validate: ValidateFunction, body: unknown, prefix = ''): ErrorObject[] {
  const over = sendBodyBounds(body);
  if (over.length > 0) return over.map((e) => asAjvError(e, prefix));
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => ({ ...e, instancePath: prefix + e.instancePath }));
}

function verdict(errors: ErrorObject[]): Verdict {
  return errors.length === 0 ? true : { error: errors };
}

function plain(validate: ValidateFunction) {
  return (data: unknown): Verdict => (validate(data) ? true : { error: [...(validate.errors ?? [])] });
}

type Compile = (route: { schema: FastifySchema; httpPart?: string }) => (data: unknown) => Verdict;

/** Route option of POST /v1/emails/ and the dry run: the body is one send body. */
export const sendBodyValidation: { validatorCompiler: Compile } = {
  validatorCompiler: ({ schema, httpPart }) => {
    const validate = ajv.compile(schema);
    if (httpPart !== 'body') return plain(validate);
    return (data) => verdict(sendBodyErrors(validate, data));
  },
};

/** Route option of POST /v1/emails/batch: the body is an array of send bodies (its count checked before). */
export const batchBodyValidation: { validatorCompiler: Compile } = {
  validatorCompiler: ({ schema, httpPart }) => {
    const validateAll = ajv.compile(schema);
    if (httpPart !== 'body') return plain(validateAll);
    const validateOne = ajv.compile((schema as { items: object }).items);
    return (data) => {
      if (!Array.isArray(data) || data.length === 0) return plain(validateAll)(data);
      return verdict(data.flatMap((item: unknown, i) => sendBodyErrors(validateOne, item, `/${i}`)));
    };
  },
};
