import { EMAIL_STATUSES } from '../core/email-status.js';

/** The deepest page a list serves: past it, narrow the filter (search) or poll /updates instead. */
export const MAX_PAGE = 100_000;
/** Results per page when `limit` is not given. */
export const DEFAULT_LIMIT = 20;

/** `page` and `limit` as a query-string schema (validated and defaulted by `querySchemaValidation`). */
export function pageProperties(maxLimit = 100) {
  return {
    page: { type: 'integer', minimum: 0, maximum: MAX_PAGE, default: 0, description: 'Zero-based page.' },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: maxLimit,
      default: DEFAULT_LIMIT,
      description: `Results per page, 1–${maxLimit}.`,
    },
  } as const;
}

/** `status`: one status or several separated by commas; checked by `parseStatuses`. */
export const statusProperty = {
  type: 'string',
  description: `One status, or several separated by commas: ${EMAIL_STATUSES.join(', ')}.`,
} as const;
