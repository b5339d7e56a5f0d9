import type { Db } from '../schema.js';
import { dialectOf } from './dialect.js';

/**
 * Parameter markers for the text of one written-out statement, in order: `$1`, `$2`… on PostgreSQL,
 * `?` on SQLite (the hot statements are written out rather than built with Kysely; see insertRows).
 */
export function parameterMarkers(db: Db): () => string {
  if (dialectOf(db) === 'sqlite') return () => '?';
  let n = 0;
  return () => `$${++n}`;
}

/** A short key for caches of statement texts, which differ by dialect. */
export function textKey(db: Db): string {
  return dialectOf(db) === 'postgres' ? 'p' : 's';
}

/**
 * Like parameterMarkers, each marker with a cast to `type` on PostgreSQL (`$3::bigint`), where a
 * parameter in a VALUES list has no column to take its type from; plain `?` on SQLite.
 */
export function typedParameterMarkers(db: Db): (type: string) => string {
  const marker = parameterMarkers(db);
  if (dialectOf(db) === 'sqlite') return () => marker();
  return (type) => `${marker()}::${type}`;
}
