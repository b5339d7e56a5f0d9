import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors } from '../core/errors.js';
import { MAX_REQUEST_BYTES } from '../core/send-body-schema.js';
import { newId } from '../ids.js';
import { schemaFieldErrors } from './schema-errors.js';

/** The longest path parameter the router takes (the app's maxParamLength), named in the 414's sentence. */
export const MAX_PARAM_CHARS = 10_000;

function consumes(request: FastifyRequest): string | undefined {
  const schema = request.routeOptions.schema as { consumes?: unknown } | undefined;
  return Array.isArray(schema?.consumes) && typeof schema.consumes[0] === 'string' ? schema.consumes[0] : undefined;
}

function fromFastify(error: FastifyError, request: FastifyRequest): AppError | null {
  // Fastify's own messages quote what the caller sent (the URL, the body, a header): our sentences never do.
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return errors.badUrl();
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errors.uriTooLong(MAX_PARAM_CHARS);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(
        `The request body is larger than ${MAX_REQUEST_BYTES / 1024 / 1024} MiB; attachments are capped at 24 MiB each and combined.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // The type the route reads: JSON, unless its schema says otherwise (the CSV import).
      return errors.unsupportedMediaType(consumes(request) ?? 'application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidJson('the body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.invalidJson();
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
  if (error instanceof SyntaxError) return errors.invalidJson();
  const status = error.statusCode;
  if (status && status >= 400 && status < 500)
    return new AppError('bad_request', status, `The request could not be handled (${STATUS_CODES[status] ?? status}).`);
  return null;
}

/**
 * Errors by which a database says it was too busy for the statement, rather than that it is wrong: a
 * write step past its timeout (PostgreSQL 57014 statement, 25P03 idle in transaction), a lock not
 * had (55P03), a deadlock or serialisation failure (40P01, 40001), too many connections (53300),
 * SQLite's busy and locked. The transaction rolled back: a 503 with Retry-After, not a 500.
 */
const BUSY_CODES = new Set(['57014', '25P03', '55P03', '40P01', '40001', '53300', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && BUSY_CODES.has(code);
}

/** The one place errors become responses: the API's error body, never a driver message. */
export function errorHandler(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  // Also on answers from outside the routes' hooks (the router's errors, the tracking scope).
  void reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
  const appError =
    error instanceof AppError
      ? error
      : isDatabaseBusy(error)
        ? errors.databaseBusy()
        : fromFastify(error as FastifyError, request);
  if (appError?.code === 'database_busy') request.log.warn({ err: error }, 'database busy');
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

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refused (a malformed request line or header, headers
 * over the size limit, a timeout) never reaches Fastify, so it is answered here, on the socket, in the API's error
 * shape with a request id of its own; the connection is then closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, code, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'The request headers are too large.']
        : [400, 'bad_request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ detail, code });
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'x-content-type-options: nosniff',
      `x-request-id: ${newId()}`,
      'connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
