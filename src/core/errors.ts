/** A field-level problem in a request, named by its path (`to[0].email`). */
export interface FieldError {
  field: string;
  error: string;
}

/** Every error the API answers with: a stable code, an HTTP status and a sentence for a person. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The registry: one function per error the API can answer, so codes and statuses stay consistent. */
export const errors = {
  validation: (errs: FieldError[], detail?: string) =>
    new AppError(
      'validation_error',
      422,
      detail ?? `Invalid request: ${errs.map((e) => `${e.field} ${e.error}`).join('; ')}.`,
      errs,
    ),
  badRequest: (detail: string, errs?: FieldError[]) => new AppError('bad_request', 400, detail, errs),
  invalidJson: (detail?: string) =>
    new AppError('invalid_json', 400, `The request body is not valid JSON${detail ? `: ${detail}` : '.'}`),
  /** Never quotes the URL back: it is the caller's, and may be anything. */
  badUrl: () =>
    new AppError('bad_url', 400, 'The request URL is malformed: a % must start an escape of UTF-8 bytes (%XX).'),
  uriTooLong: (maxChars: number) =>
    new AppError('uri_too_long', 414, `A part of the request path is longer than ${maxChars} characters.`),
  unauthorized: () =>
    new AppError('unauthorized', 401, 'Missing or invalid API key. Send it as "Authorization: Bearer tfm_k_…".'),
  forbidden: (detail: string) => new AppError('forbidden', 403, detail),
  notFound: (what: string) => new AppError('not_found', 404, `${what} not found.`),
  routeNotFound: (method: string) =>
    new AppError('route_not_found', 404, `No route answers ${method} at this path; see /docs for the API.`),
  conflict: (detail: string, code = 'conflict') => new AppError(code, 409, detail),
  payloadTooLarge: (detail: string, errs?: FieldError[]) => new AppError('payload_too_large', 413, detail, errs),
  unsupportedMediaType: (type = 'application/json') =>
    new AppError('unsupported_media_type', 415, `Send the request body as ${type}.`),
  senderNotAllowed: (field: string, detail: string) =>
    new AppError('sender_not_allowed', 422, detail, [{ field, error: detail }]),
  domainNotVerified: (detail: string) =>
    new AppError('domain_not_verified', 422, detail, [{ field: 'email', error: detail }]),
  planFeature: (detail: string) => new AppError('plan_feature_unavailable', 403, detail),
  quotaExceeded: (limit: 'daily' | 'monthly', max: number, needed: number, retryAfterSeconds: number) =>
    new AppError(
      'quota_exceeded',
      429,
      `The ${limit} send limit of ${max} recipients is reached (this request needs ${needed}); it resets at the start of the next UTC ${limit === 'daily' ? 'day' : 'month'}.`,
      [{ field: 'limits', error: `${limit}_limit ${max}` }],
      { 'retry-after': String(retryAfterSeconds) },
    ),
  rateLimited: (limit: number, retryAfterSeconds: number) =>
    new AppError(
      'rate_limited',
      429,
      `Too many requests: this key may make ${limit} requests per second. Retry after ${retryAfterSeconds} s.`,
      undefined,
      { 'retry-after': String(retryAfterSeconds) },
    ),
  tooManyAuthFailures: (retryAfterSeconds: number) =>
    new AppError(
      'too_many_auth_failures',
      429,
      `Too many requests with a missing or invalid API key from this address. Retry after ${retryAfterSeconds} s.`,
      undefined,
      { 'retry-after': String(retryAfterSeconds) },
    ),
  /** A dashboard session cookie that is not (or no longer) good: logged out, expired, altered. */
  sessionEnded: () =>
    new AppError('unauthorized', 401, 'Your session has ended (logged out, expired or not valid): log in again.'),
  /** The same for an unknown email as for a wrong password: it never tells whether an address has an account. */
  invalidCredentials: () => new AppError('invalid_credentials', 401, 'Wrong email or password.'),
  tooManyLoginAttempts: (retryAfterSeconds: number) =>
    new AppError(
      'too_many_login_attempts',
      429,
      `Too many failed logins from this address or to this account. Retry after ${retryAfterSeconds} s.`,
      undefined,
      { 'retry-after': String(retryAfterSeconds) },
    ),
  csrfFailed: () =>
    new AppError(
      'csrf_failed',
      403,
      'A change made with the dashboard session cookie must come from this server\'s own pages: send the header "X-Taifa-Csrf: 1", from this origin.',
    ),
  idempotencyMismatch: () =>
    new AppError(
      'idempotency_key_reused',
      409,
      'This Idempotency-Key was already used with a different request body in the last 24 hours.',
    ),
  notRetryable: (status: string) =>
    new AppError(
      'not_retryable',
      409,
      `Only bounced, rejected or failed emails can be retried; this one is ${status}.`,
    ),
  unavailable: (detail: string) => new AppError('service_unavailable', 503, detail),
  databaseBusy: () =>
    new AppError(
      'database_busy',
      503,
      'The database did not take this write in time (it is busy); nothing was written. Try again shortly.',
      undefined,
      { 'retry-after': '1' },
    ),
  internal: () => new AppError('internal_error', 500, 'Something went wrong on our side; it has been logged.'),
};
