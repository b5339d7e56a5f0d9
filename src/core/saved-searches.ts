import { errors, type FieldError } from './errors.js';
import { newId } from './ids.js';

export const MAX_SAVED_SEARCHES = 50;
const FIELDS = ['query', 'range', 'status', 'domain', 'source'] as const;

/** A named filter set for the email log. */
export interface SavedSearch {
  id: string;
  name: string;
  query: string | null;
  range: string | null;
  status: string | null;
  domain: string | null;
  source: string | null;
}

/** Checks a PUT body `{searches: [...]}`: at most 50 entries, each with a name; gives ids to new ones. */
export function parseSavedSearches(body: unknown): SavedSearch[] {
  const list = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).searches : undefined;
  if (!Array.isArray(list)) throw errors.validation([{ field: 'searches', error: 'is required: an array of saved searches' }]);
  if (list.length > MAX_SAVED_SEARCHES) throw errors.validation([{ field: 'searches', error: `must have at most ${MAX_SAVED_SEARCHES} entries (got ${list.length})` }]);
  const errs: FieldError[] = [];
  const out: SavedSearch[] = [];
  const ids = new Set<string>();
  list.forEach((item, i) => {
    const at = `searches[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return void errs.push({ field: at, error: 'must be an object' });
    const s = item as Record<string, unknown>;
    if (typeof s.name !== 'string' || !s.name.trim() || s.name.length > 100) errs.push({ field: `${at}.name`, error: 'is required: a string of at most 100 characters' });
    if (s.id !== undefined && s.id !== null && (typeof s.id !== 'string' || !s.id || s.id.length > 64)) errs.push({ field: `${at}.id`, error: 'must be a string of at most 64 characters' });
    const values: Record<string, string | null> = {};
    for (const f of FIELDS) {
      const v = s[f];
      if (v === undefined || v === null) values[f] = null;
      else if (typeof v !== 'string' || v.length > 500) errs.push({ field: `${at}.${f}`, error: 'must be a string of at most 500 characters' });
      else values[f] = v;
    }
    let id = typeof s.id === 'string' && s.id ? s.id : newId();
    if (ids.has(id)) errs.push({ field: `${at}.id`, error: 'repeats an earlier entry' });
    ids.add(id);
    out.push({ id, name: typeof s.name === 'string' ? s.name.trim() : '', query: values.query!, range: values.range!, status: values.status!, domain: values.domain!, source: values.source! });
    id = '';
  });
  if (errs.length) throw errors.validation(errs);
  return out;
}
