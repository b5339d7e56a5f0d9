import type { ErrorObject, ValidateFunction } from 'ajv';
import type { FastifySchema } from 'fastify';
import { compileSchema, sendBodyErrors } from '../core/send-body-check.js';

/**
 * The validator of the send routes' bodies: core/send-body-check.ts counts the sizes of a send body
 * first and checks only a body within them against the schema. The errors come out as Ajv's do, so the
 * route reads them the same way (attachValidation); a batch is checked element by element, so that one
 * element over a size is refused alone and the others go out.
 */
type Verdict = true | { error: ErrorObject[] };

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
    const validate = compileSchema(schema);
    if (httpPart !== 'body') return plain(validate);
    return (data) => verdict(sendBodyErrors(validate, data));
  },
};

/** Route option of POST /v1/emails/batch: the body is an array of send bodies (its count checked before). */
export const batchBodyValidation: { validatorCompiler: Compile } = {
  validatorCompiler: ({ schema, httpPart }) => {
    const validateAll = compileSchema(schema);
    if (httpPart !== 'body') return plain(validateAll);
    const validateOne = compileSchema((schema as { items: object }).items);
    return (data) => {
      if (!Array.isArray(data) || data.length === 0) return plain(validateAll)(data);
      return verdict(data.flatMap((item: unknown, i) => sendBodyErrors(validateOne, item, `/${i}`)));
    };
  },
};
