import { errors, type FieldError } from '../core/errors.js';

const STATUSES = new Set(['scheduled', 'queued', 'deferred', 'sent', 'delivered', 'bounced', 'rejected', 'failed', 'cancelled']);

/** The paging parameters as a query string carries them (text; repeated ones become arrays). */
export interface PageQuery { status?: string; page?: string; limit?: string }

/**
 * The OpenAPI description of `status`, `page` and `limit`. Query strings arrive as text and the
 * app's validator does not coerce types, so routes document these as integers and paging() checks
 * them, with messages that name the field.
 */
export const pageQuery = {
  status: { type: 'string', description: 'One status, or several separated by commas.' },
  page: { type: 'integer', minimum: 0, default: 0, description: 'Zero-based page.' },
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Results per page.' },
} as const;

const digits = (v: unknown): boolean => typeof v === 'string' && /^\d{1,9}$/.test(v);

/** Checks `status`, `page` and `limit` (1–`maxLimit`, default 20); 422 naming the field otherwise. */
export function paging(q: PageQuery, maxLimit = 100): { statuses: string[]; limit: number; offset: number } {
  const errs: FieldError[] = [];
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if ((q.limit !== undefined && !digits(q.limit)) || limit < 1 || limit > maxLimit) errs.push({ field: 'limit', error: `must be an integer from 1 to ${maxLimit}` });
  const page = q.page === undefined ? 0 : Number(q.page);
  if ((q.page !== undefined && !digits(q.page)) || page > 100_000) errs.push({ field: 'page', error: 'must be a zero-based integer up to 100000' });
  if (q.status !== undefined && typeof q.status !== 'string') errs.push({ field: 'status', error: 'must be given once (several statuses are separated by commas)' });
  const statuses = typeof q.status === 'string' ? q.status.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : [];
  const unknown = statuses.filter((s) => !STATUSES.has(s));
  if (unknown.length) errs.push({ field: 'status', error: `unknown status ${unknown.join(', ')} (one of ${[...STATUSES].join(', ')})` });
  if (errs.length) throw errors.validation(errs);
  return { statuses, limit, offset: page * limit };
}
