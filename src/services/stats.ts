import {
  addCounts,
  bucketStart,
  hoursRange,
  statRates,
  statsRange,
  zeroCounts,
  type Resolution,
  type StatRates,
} from '../core/stats.js';
import type { StatCounts } from '../model.js';
import type { Store } from '../store/database.js';
import { HOUR_MS, rollupBuckets, rollupTotals } from '../store/stats-repo.js';

const DAY_MS = 86_400_000;

/** What the stats are asked for: times are epoch ms; tag and domain as given (normalised here). */
export interface StatsQuery {
  since?: number;
  until?: number;
  tag?: string;
  domain?: string;
}

/** Counts with their rates. */
export type RatedCounts = StatCounts & { rates: StatRates };

/** GET /v1/stats: the range covered and its buckets, each with its counts. */
export interface StatsSeries {
  from: number;
  to: number;
  resolution: Resolution;
  tag: string | null;
  domain: string | null;
  buckets: Array<{ start: number; counts: RatedCounts }>;
  totals: RatedCounts;
}

const rated = (c: StatCounts): RatedCounts => ({ ...c, rates: statRates(c) });

function filters(q: StatsQuery): { tag?: string; domain?: string } {
  const tag = q.tag?.trim() || undefined;
  const domain = q.domain?.trim().toLowerCase() || undefined;
  return { tag, domain };
}

/**
 * The counts of one account per UTC hour, day or month over the buckets that overlap [since, until)
 * (see statsRange), every bucket present (zeros where nothing happened), from the hourly rollups:
 * the cost follows the number of hours, not of events.
 */
export async function statsSeries(
  store: Store,
  accountId: string,
  q: StatsQuery & { resolution: Resolution; now: number },
): Promise<StatsSeries> {
  const range = statsRange(q);
  const f = filters(q);
  // Days and months are read as days (summed by the database), hours as hours.
  const rows = await rollupBuckets(
    store.db,
    { accountId, from: range.from, to: range.to, ...f },
    q.resolution === 'hour' ? HOUR_MS : DAY_MS,
  );
  const byStart = new Map(range.starts.map((s) => [s, zeroCounts()]));
  const totals = zeroCounts();
  for (const r of rows) {
    const bucket = byStart.get(bucketStart(r.start, q.resolution));
    if (bucket) addCounts(bucket, r.counts);
    addCounts(totals, r.counts);
  }
  return {
    from: range.from,
    to: range.to,
    resolution: q.resolution,
    tag: f.tag ?? null,
    domain: f.domain ?? null,
    buckets: range.starts.map((start) => ({ start, counts: rated(byStart.get(start) ?? zeroCounts()) })),
    totals: rated(totals),
  };
}

/** GET /v1/stats/tags and /v1/stats/domains: one entry per tag or domain, most accepted first. */
export async function statsBy(
  store: Store,
  accountId: string,
  by: 'tag' | 'domain',
  q: StatsQuery & { now: number },
): Promise<{ from: number; to: number; entries: Array<{ key: string; counts: RatedCounts }> }> {
  const hours = hoursRange(q);
  const rows = await rollupTotals(store.db, { accountId, ...hours, ...filters(q) }, by);
  const entries = rows
    .map((r) => ({ key: r.key, counts: rated(r.counts) }))
    .sort((a, b) => b.counts.accepted - a.counts.accepted || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ...hours, entries };
}
