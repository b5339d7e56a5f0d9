import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** The counters of a rollup row, as they were when this migration was written. */
const COUNTERS = [
  'accepted',
  'sent',
  'delivered',
  'deferred',
  'bounced',
  'bounced_hard',
  'bounced_soft',
  'rejected',
  'failed',
  'cancelled',
  'opened',
  'opened_unique',
  'opened_machine',
  'clicked',
  'clicked_unique',
  'clicked_machine',
  'unsubscribed',
  'complained',
];

export async function up(db: Kysely<any>): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  const time = isPg ? 'bigint' : 'integer';
  // The stats: what the events of one account's emails from one sending domain counted in one UTC hour.
  // `tag` '' is the row of all of the domain's emails; each tag of an email has its own row besides (an
  // email's event bumps the '' row and one row per tag), so totals sum the '' rows and a tag's figures
  // its own, and an email with two tags is never counted twice. Kept by recordEvents, in the
  // transaction of the events.
  let table = db.schema
    .createTable('stats_rollups')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('bucket_start', time, (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull());
  for (const name of COUNTERS) table = table.addColumn(name, 'integer', (c) => c.notNull().defaultTo(0));
  // The key is the only index: the reads are one account's hours over a range.
  await table.addPrimaryKeyConstraint('stats_rollups_key', ['account_id', 'bucket_start', 'domain', 'tag']).execute();
  // A recipient's first counted open and click (people only): where its unique open and click are counted,
  // and where they move to when a honeypot relabels that open or click as a machine's. Apart from
  // email_recipients, whose rows the worker locks before the email's: the tracking writes these under
  // the email's row lock, so sharing the recipients' rows would lock the two in opposite orders.
  await db.schema
    .createTable('engagement_firsts')
    .addColumn('recipient_id', 'text', (c) => c.primaryKey())
    .addColumn('opened_at', time)
    .addColumn('clicked_at', time)
    .execute();
  await fillFromEvents(db);
}

/**
 * Fills both tables from the events already stored, as recordEvents would have kept them (the rules of
 * docs/stats.md): on an existing database the stats then cover its history, and a later open of a
 * recipient who opened before is not taken for its first.
 */
export async function fillFromEvents(db: Kysely<any>): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  await sql`INSERT INTO engagement_firsts (recipient_id, opened_at, clicked_at)
    SELECT recipient_id,
      MIN(CASE WHEN event_type = 'open' THEN created_at END),
      MIN(CASE WHEN event_type = 'click' THEN created_at END)
    FROM email_events
    WHERE counted = 1 AND recipient_id IS NOT NULL AND event_type IN ('open', 'click')
    GROUP BY recipient_id`.execute(db);
  const one = (condition: string) => `CASE WHEN ${condition} THEN 1 ELSE 0 END`;
  const meta = `COALESCE(e.metadata, '')`;
  const hard = `(${meta} LIKE '%"hard":true%' OR (${meta} NOT LIKE '%"hard":false%' AND ${meta} LIKE '%"bounce_type":"hard"%'))`;
  const recipients = `(SELECT COUNT(*) FROM email_recipients r WHERE r.email_id = e.email_id)`;
  // Recipients a suppression rejected when the email was accepted: their events carry the accept's time.
  const rejectedAtAccept = `(SELECT COUNT(*) FROM email_events x WHERE x.email_id = e.email_id AND x.event_type = 'rejected' AND x.created_at = e.created_at)`;
  const isAccept = `(e.event_type = 'scheduled' OR (e.event_type = 'queued' AND (e.metadata IS NULL OR e.metadata NOT LIKE '%"scheduled":true%')))`;
  const perEvent: Record<string, string> = {
    accepted: `CASE WHEN ${isAccept} THEN ${recipients} - ${rejectedAtAccept} ELSE 0 END`,
    sent: one(`e.event_type = 'sent'`),
    delivered: one(`e.event_type = 'delivered'`),
    deferred: one(`e.event_type = 'deferred'`),
    bounced: one(`e.event_type = 'bounced'`),
    bounced_hard: one(`e.event_type = 'bounced' AND ${hard}`),
    bounced_soft: one(`e.event_type = 'bounced' AND NOT ${hard}`),
    rejected: one(`e.event_type = 'rejected'`),
    failed: one(`e.event_type = 'failed'`),
    cancelled: `CASE WHEN e.event_type = 'cancelled' THEN (SELECT COUNT(*) FROM email_recipients r WHERE r.email_id = e.email_id AND r.status = 'cancelled') ELSE 0 END`,
    opened: one(`e.event_type = 'open' AND e.counted = 1`),
    opened_unique: '0',
    opened_machine: one(`e.event_type = 'open' AND e.bot <> ''`),
    clicked: one(`e.event_type = 'click' AND e.counted = 1`),
    clicked_unique: '0',
    clicked_machine: one(`e.event_type = 'click' AND e.bot <> ''`),
    unsubscribed: one(`e.event_type = 'unsubscribe'`),
    complained: one(`e.event_type = 'complaint'`),
  };
  const firsts = (type: 'open' | 'click', counter: string) =>
    `SELECT e.email_id, MIN(e.created_at) AS at, ${COUNTERS.map((c) => `${c === counter ? 1 : 0} AS ${c}`).join(', ')}
      FROM email_events e WHERE e.event_type = '${type}' AND e.counted = 1 GROUP BY e.email_id, e.recipient_id`;
  const contributions = [
    `SELECT e.email_id, e.created_at AS at, ${COUNTERS.map((c) => `${perEvent[c]} AS ${c}`).join(', ')} FROM email_events e`,
    firsts('open', 'opened_unique'),
    firsts('click', 'clicked_unique'),
  ].join(' UNION ALL ');
  const eachTag = isPg
    ? `SELECT m.id AS email_id, t.value AS tag FROM emails m, json_array_elements_text(m.tags_json::json) AS t(value) WHERE m.tags_json IS NOT NULL`
    : `SELECT m.id AS email_id, t.value AS tag FROM emails m, json_each(m.tags_json) AS t WHERE m.tags_json IS NOT NULL`;
  // The domain: after the last @ of the From address, lower-cased (rtrim strips everything after it).
  const domain = `LOWER(SUBSTR(m.from_email, LENGTH(RTRIM(m.from_email, REPLACE(m.from_email, '@', ''))) + 1))`;
  const text = `INSERT INTO stats_rollups (account_id, bucket_start, domain, tag, ${COUNTERS.join(', ')})
    SELECT m.account_id, c.at - c.at % 3600000, ${domain}, t.tag, ${COUNTERS.map((n) => `SUM(c.${n})`).join(', ')}
    FROM (${contributions}) c
    JOIN emails m ON m.id = c.email_id
    JOIN (SELECT id AS email_id, '' AS tag FROM emails UNION ALL ${eachTag}) t ON t.email_id = c.email_id
    GROUP BY m.account_id, c.at - c.at % 3600000, ${domain}, t.tag
    HAVING ${COUNTERS.map((n) => `SUM(c.${n}) <> 0`).join(' OR ')}`;
  await sql.raw(text).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('engagement_firsts').execute();
  await db.schema.dropTable('stats_rollups').execute();
}
