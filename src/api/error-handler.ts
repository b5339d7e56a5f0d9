import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors } from '../core/errors.js';
import { MAX_REQUEST_BYTES } from '../core/send-body-schema.js';
import { schemaFieldErrors } from './schema-errors.js';

function fromFastify(error: FastifyError, request: FastifyRequest): AppError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(
        `The request body is larger than ${MAX_REQUEST_BYTES / 1024 / 1024} MiB; attachments are capped at 24 MiB each and combined.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidJson('the body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.invalidJson(error.message);
    default:
      break;
  }
  if (error.validation) {
    const context = error.validationContext ?? 'body';
    const data = { body: request.body, querystring: request.query, params: request.params, headers: request.headers }[
      context
    ];
    const fieldErrors = schemaFieldErrors(error.validation, data, context);
    // A repeated query parameter arrives as an array; say what went wrong rather than "must be a string".
    if (context === 'querystring') {
      const query = (data ?? {}) as Record<string, unknown>;
      return errors.validation(
        fieldErrors.map((e) => (Array.isArray(query[e.field]) ? { field: e.field, error: 'must be given once' } : e)),
      );
    }
    return errors.validation(fieldErrors);
  }
  if (error instanceof SyntaxError || error.statusCode === 400) return errors.invalidJson(error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
    return new AppError('bad_request', error.statusCode, error.message);
  return null;
}

/** The one place errors become responses: the API's error body, never a driver message. */
export function errorHandler(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const appError = error instanceof AppError ? error : fromFastify(error as FastifyError, request);
  if (!appError) {
    request.log.error({ err: error }, 'unexpected error');
    const internal = errors.internal();
    void reply.status(500).send({ detail: internal.message, code: internal.code });
    return;
  }
  if (appError.headers) void reply.headers(appError.headers);
  void reply.status(appError.status).send({
    detail: appError.message,
    code: appError.code,
    ...(appError.errors ? { errors: appError.errors } : {}),
  });
}
