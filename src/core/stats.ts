import { STAT_COUNTS, type StatCounts } from '../model.js';
import { errors } from './errors.js';

/** The bucket sizes of GET /v1/stats, all in UTC. */
export const RESOLUTIONS = ['hour', 'day', 'month'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** At most this many buckets in one answer. */
export const MAX_BUCKETS = 1000;
/** A range spans at most this many days (whatever the resolution). */
export const MAX_RANGE_DAYS = 400;
/** The range when `since` is not given: the week before `until`. */
export const DEFAULT_RANGE_MS = 7 * 86_400_000;

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The start of the UTC hour, day or month `at` falls in. */
export function bucketStart(at: number, resolution: Resolution): number {
  if (resolution === 'hour') return Math.floor(at / HOUR) * HOUR;
  if (resolution === 'day') return Math.floor(at / DAY) * DAY;
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The start of the bucket after the one starting at `start`. */
function nextBucket(start: number, resolution: Resolution): number {
  if (resolution === 'hour') return start + HOUR;
  if (resolution === 'day') return start + DAY;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A range of whole buckets: `from` the start of the first, `to` the end of the last. */
export interface StatsRange {
  from: number;
  to: number;
  /** Every bucket's start, in order. */
  starts: number[];
}

/**
 * [since, until) as asked: `until` default `now`, `since` default a week before `until`. A 422 naming
 * `since` for an empty or reversed range, or one longer than MAX_RANGE_DAYS.
 */
function checkedRange(q: { since?: number; until?: number; now: number }): { since: number; until: number } {
  const until = q.until ?? q.now;
  const since = q.since ?? until - DEFAULT_RANGE_MS;
  if (since >= until)
    throw errors.validation([{ field: 'since', error: `must be before until (${new Date(until).toISOString()})` }]);
  if (until - since > MAX_RANGE_DAYS * DAY)
    throw errors.validation([{ field: 'since', error: `must be at most ${MAX_RANGE_DAYS} days before until` }]);
  return { since, until };
}

/**
 * The buckets that overlap [since, until), each whole (see checkedRange for the defaults and the
 * errors); a 422 naming `resolution` when that makes more than MAX_BUCKETS buckets.
 */
export function statsRange(q: { since?: number; until?: number; resolution: Resolution; now: number }): StatsRange {
  const { since, until } = checkedRange(q);
  const from = bucketStart(since, q.resolution);
  const starts: number[] = [];
  let to = from;
  while (to < until) {
    if (starts.length === MAX_BUCKETS)
      throw errors.validation([
        {
          field: 'resolution',
          error: `gives more than ${MAX_BUCKETS} buckets over this range: choose a coarser resolution or a shorter range`,
        },
      ]);
    starts.push(to);
    to = nextBucket(to, q.resolution);
  }
  return { from, to, starts };
}

/** The whole UTC hours that overlap [since, until) (see checkedRange): the range of the totals per tag or domain. */
export function hoursRange(q: { since?: number; until?: number; now: number }): { from: number; to: number } {
  const { since, until } = checkedRange(q);
  return { from: bucketStart(since, 'hour'), to: bucketStart(until - 1, 'hour') + HOUR };
}

/** Every count at zero. */
export function zeroCounts(): StatCounts {
  return Object.fromEntries(STAT_COUNTS.map((c) => [c, 0])) as StatCounts;
}

/** Adds `b`'s counts to `a`. */
export function addCounts(a: StatCounts, b: StatCounts): void {
  for (const c of STAT_COUNTS) a[c] += b[c];
}

/** The rates, each named after its numerator's event. */
export interface StatRates {
  /** delivered / accepted */
  delivered: number;
  /** opened_unique / delivered */
  opened: number;
  /** clicked_unique / delivered */
  clicked: number;
  /** bounced / accepted */
  bounced: number;
  /** complained / delivered */
  complained: number;
}

/** A ratio rounded to 4 decimal places; 0 when the denominator is 0. */
const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : 0);

export function statRates(c: StatCounts): StatRates {
  return {
    delivered: ratio(c.delivered, c.accepted),
    opened: ratio(c.opened_unique, c.delivered),
    clicked: ratio(c.clicked_unique, c.delivered),
    bounced: ratio(c.bounced, c.accepted),
    complained: ratio(c.complained, c.delivered),
  };
}
