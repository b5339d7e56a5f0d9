import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */

// Address tokens gain the local part: after `to:jane@example.org` the index now holds `to:jane@` (and
// `from:…` likewise), so that `to:jane` finds Jane's emails by an exact token, as `to:example.org`
// finds the domain's. Emails accepted from now on are indexed so; this adds the token to the others.

/** A whole-address token: everything before the last @ is the local part. */
const ADDRESS = /^((?:to|from):.+)@[^@]+$/;

/** Rows rewritten per SQLite transaction. */
const BATCH = 2000;

/**
 * A SQLite document (the tokens joined by spaces) with each address's local-part token after it. Only
 * the tokens before the first `tag:` are addresses: a tag may hold spaces and colons, and the subject
 * words after the tags never hold a colon. A token already followed by its local part (a run cut short
 * and started again) is left as it is.
 */
function withLocalParts(doc: string): string {
  const tokens = doc.split(' ');
  const out: string[] = [];
  let inTags = false;
  tokens.forEach((token, i) => {
    out.push(token);
    inTags ||= token.startsWith('tag:');
    const m = inTags ? null : ADDRESS.exec(token);
    if (m && tokens[i + 1] !== `${m[1]}@`) out.push(`${m[1]}@`);
  });
  return out.join(' ');
}

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Each lexeme is a whole token (tags with spaces too); the new ones carry no position, which only
    // the subject's phrases use.
    await sql`UPDATE email_search SET doc = doc || array_to_tsvector(ARRAY(
      SELECT DISTINCT regexp_replace(lexeme, '@[^@]*$', '@')
      FROM unnest(tsvector_to_array(doc)) AS lexeme
      WHERE lexeme ~ '^(to|from):.+@[^@]+$'
    ))`.execute(db);
    return;
  }
  // A batch per transaction (SQLite runs migrations outside one), in rowid order, which the update
  // keeps: searches walk rowid for newest first.
  let after = 0;
  for (;;) {
    const rows = (
      await sql<{
        id: number;
        doc: string;
      }>`SELECT rowid AS id, doc FROM email_search WHERE rowid > ${after} ORDER BY rowid LIMIT ${BATCH}`.execute(db)
    ).rows;
    const last = rows.at(-1);
    if (!last) return;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const doc = withLocalParts(r.doc);
        if (doc !== r.doc) await sql`UPDATE email_search SET doc = ${doc} WHERE rowid = ${r.id}`.execute(trx);
      }
    });
    after = last.id;
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // The extra tokens match nothing the earlier code asks for: they may stay.
  void db;
}
