import { errors, type FieldError } from './errors.js';
import { newId } from '../ids.js';
import type { SavedSearch } from '../model.js';

export const MAX_SAVED_SEARCHES = 50;

/** A saved search as PUT gives it (its route's schema has checked the types and lengths). */
export interface SavedSearchInput {
  id?: string | null;
  name: string;
  query?: string | null;
  range?: string | null;
  status?: string | null;
  domain?: string | null;
  source?: string | null;
}

/** The list a PUT replaces the saved searches with: names trimmed, ids given to new entries; 422 for an id given twice.
 * */
export function savedSearchesFrom(list: readonly SavedSearchInput[]): SavedSearch[] {
  const errs: FieldError[] = [];
  const ids = new Set<string>();
  const out = list.map((s, i): SavedSearch => {
    const id = s.id || newId();
    if (ids.has(id)) errs.push({ field: `searches[${i}].id`, error: 'repeats an earlier entry' });
    ids.add(id);
    return {
      id,
      name: s.name.trim(),
      query: s.query ?? null,
      range: s.range ?? null,
      status: s.status ?? null,
      domain: s.domain ?? null,
      source: s.source ?? null,
    };
  });
  if (errs.length) throw errors.validation(errs);
  return out;
}
