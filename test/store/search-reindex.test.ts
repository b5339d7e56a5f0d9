import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/database.js';
import * as reindex from '../../src/store/migrations/0012-address-local-parts.js';
import * as logins from '../../src/store/migrations/0013-dashboard-logins.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Each email's search document: SQLite's text, or PostgreSQL's lexemes (sorted, without positions). */
async function documents(t: TestServer): Promise<Map<string, string>> {
  const r =
    t.db.kind === 'postgres'
      ? await sql<{
          email_id: string;
          doc: string;
        }>`SELECT email_id, array_to_string(tsvector_to_array(doc), ' ') AS doc FROM email_search`.execute(
          t.server.store.db,
        )
      : await sql<{ email_id: string; doc: string }>`SELECT email_id, doc FROM email_search`.execute(t.server.store.db);
  return new Map(r.rows.map((row) => [row.email_id, row.doc]));
}

/** Takes the local-part tokens out of every document, as emails were indexed before they existed. */
async function indexAsBefore(t: TestServer): Promise<void> {
  const db = t.server.store.db;
  if (t.db.kind === 'postgres') {
    await sql`UPDATE email_search SET doc = ts_delete(doc, ARRAY(
      SELECT lexeme FROM unnest(tsvector_to_array(doc)) AS lexeme WHERE lexeme ~ '^(to|from):[^@]+@$'))`.execute(db);
    return;
  }
  for (const [id, doc] of await documents(t)) {
    const tokens = doc.split(' ');
    const before = tokens.filter((tok, i) => {
      const address = /^((?:to|from):.+)@[^@]+$/.exec(tokens[i - 1] ?? '');
      return !(address && tok === `${address[1]}@`);
    });
    await sql`UPDATE email_search SET doc = ${before.join(' ')} WHERE email_id = ${id}`.execute(db);
  }
}

describe.each(testDatabases())('indexing the local parts of emails accepted before on %s', (kind) => {
  let t: TestServer;
  const sent: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
    const send = async (name: string, body: Record<string, unknown>) => {
      const r = await t.call('POST', '/v1/emails/', sendBody(body));
      if (r.status !== 202) throw new Error(JSON.stringify(r.body));
      sent[name] = r.body.id;
    };
    await send('jane', { to: [{ email: 'Jane@Example.org' }], subject: 'Welcome aboard, Jane' });
    await send('team', {
      to: [{ email: 'bob@example.org' }],
      cc: [{ email: 'jane@corp.test' }],
      bcc: [{ email: 'audit@corp.test' }],
      // A tag that reads like an address token: a tag, not a recipient.
      tags: ['note to:zed@evil.test'],
      subject: 'Team update',
    });
  });
  afterAll(async () => t?.close());

  const search = async (q: string) =>
    (await t.call('GET', `/v1/emails/search?q=${encodeURIComponent(q)}`)).body.map((e: { id: string }) => e.id);

  it('finds them by local part once the migration has run, and indexes them as it indexes new emails', async () => {
    const fresh = await documents(t);
    await indexAsBefore(t);
    expect(await documents(t)).not.toEqual(fresh);
    expect(await search('to:jane')).toEqual([]);
    expect(await search('to:jane@example.org')).toEqual([sent.jane]);

    // Back to the database as it was before 0012: the migrations after it undone too, so that they run in order.
    await logins.down(t.server.store.db);
    await sql`DELETE FROM kysely_migration WHERE name >= '0012'`.execute(t.server.store.db);
    expect(await migrateToLatest(t.server.store)).toEqual(['0012-address-local-parts', '0013-dashboard-logins']);
    expect(await documents(t)).toEqual(fresh);
    expect(await search('to:jane')).toEqual([sent.team, sent.jane]);
    expect(await search('to:audit')).toEqual([sent.team]);
    expect(await search('from:hello')).toEqual([sent.team, sent.jane]);
    expect(await search('to:@example.org')).toEqual([sent.team, sent.jane]);
    expect(await search('to:zed')).toEqual([]);
    expect(await search('welcome')).toEqual([sent.jane]);
    expect(await search('"team update"')).toEqual([sent.team]);

    // A run cut short and started again adds nothing twice.
    await reindex.up(t.server.store.db);
    expect(await documents(t)).toEqual(fresh);
  });
});
