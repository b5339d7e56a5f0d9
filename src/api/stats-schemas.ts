/** JSON Schemas of /v1/stats, with the examples the reference shows (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_BUCKETS, MAX_RANGE_DAYS, RESOLUTIONS, statRates } from '../core/stats.js';
import { STAT_COUNTS, type StatCount, type StatCounts } from '../model.js';
import { answer, documented } from './schemas.js';

const time = { type: 'string', format: 'date-time' } as const;

/** What each count counts (docs/stats.md says more). */
const COUNT_DESCRIPTIONS: Record<StatCount, string> = {
  accepted:
    'Recipients accepted for delivery (queued or scheduled), counted when the email was accepted; not those a suppression rejected then.',
  sent: 'Copies handed to the receiving server (or the relay).',
  delivered: 'Copies the receiving server accepted, or a delivery report confirmed.',
  deferred: 'Temporary failures, each retry counted.',
  bounced: 'Copies that failed for good: bounced_hard + bounced_soft.',
  bounced_hard: 'Bounces that say the address itself is bad (it goes on the bounce list).',
  bounced_soft: 'Other bounces (a full mailbox, a block, giving up after days of temporary failures…).',
  rejected: 'Recipients not sent to because a suppression list stopped them.',
  failed: 'Copies that could not be sent for a reason of ours (configuration, rendering).',
  cancelled: 'Recipients of scheduled emails cancelled before their time.',
  opened: 'Opens by people that counted (a repeat within the coalescing window does not).',
  opened_unique:
    "Recipients whose first counted open falls in the bucket (each counted once, in its first open's bucket).",
  opened_machine: 'Opens by machines (image proxies, security scanners, prefetches), not counted as opens.',
  clicked: 'Clicks by people that counted (a repeat of a link within the coalescing window does not).',
  clicked_unique: 'Recipients whose first counted click falls in the bucket.',
  clicked_machine: 'Clicks by machines (link scanners, honeypot followers), not counted as clicks.',
  unsubscribed: 'Unsubscribe requests (one-click, the page, or mail to the unsubscribe address).',
  complained: 'Spam complaints (feedback-loop reports).',
};

const counts = Object.fromEntries(
  STAT_COUNTS.map((c) => [c, { type: 'integer', description: COUNT_DESCRIPTIONS[c] }]),
) as Record<StatCount, { type: 'integer'; description: string }>;

const rate = (what: string) => ({ type: 'number', minimum: 0, description: `${what}; 0 when the divisor is 0.` });
const rates = {
  ...answer({
    delivered: rate('delivered / accepted'),
    opened: rate('opened_unique / delivered'),
    clicked: rate('clicked_unique / delivered'),
    bounced: rate('bounced / accepted'),
    complained: rate('complained / delivered'),
  }),
  description: 'Rates of these counts, rounded to 4 decimals.',
} as const;

const rangeProperties = {
  since: {
    ...time,
    description:
      'ISO 8601 with a time zone (Z or ±hh:mm); default a week before until. The bucket it falls in is whole.',
  },
  until: {
    ...time,
    description: `ISO 8601 with a time zone, exclusive; default now. At most ${MAX_RANGE_DAYS} days after since.`,
  },
  tag: { type: 'string', maxLength: 256, description: 'Only emails with this tag.' },
  domain: { type: 'string', maxLength: 253, description: 'Only emails from this sending domain (the From address).' },
} as const;

export const statsQuery = {
  type: 'object',
  properties: {
    ...rangeProperties,
    resolution: {
      type: 'string',
      enum: RESOLUTIONS,
      default: 'day',
      description: `UTC buckets: hour, day or month; at most ${MAX_BUCKETS} of them.`,
    },
  },
} as const;
export type StatsQueryString = FromSchema<typeof statsQuery>;

export const totalsQuery = { type: 'object', properties: rangeProperties } as const;
export type TotalsQueryString = FromSchema<typeof totalsQuery>;

const ratedCounts = { ...counts, rates };

const statsAnswer = answer({
  since: { ...time, description: 'The start of the first bucket.' },
  until: { ...time, description: 'The end of the last bucket.' },
  resolution: { type: 'string', enum: RESOLUTIONS, description: 'The size of the buckets.' },
  tag: { type: ['string', 'null'], description: 'The tag counted; null for every email.' },
  domain: { type: ['string', 'null'], description: 'The sending domain counted; null for every domain.' },
  buckets: {
    type: 'array',
    description: 'Every bucket of the range, oldest first; zeros where nothing happened.',
    items: answer({ start: { ...time, description: 'The start of the bucket (UTC).' }, ...ratedCounts }),
  },
  totals: { ...answer(ratedCounts), description: 'The counts and rates over the whole range.' },
});

const range = {
  since: { ...time, description: 'The start of the first UTC hour counted.' },
  until: { ...time, description: 'The end of the last UTC hour counted.' },
};

const tagsAnswer = answer({
  ...range,
  tags: {
    type: 'array',
    description: 'Each tag with its counts and rates over the range, most accepted first.',
    items: answer({ tag: { type: 'string', description: 'The tag.' }, ...ratedCounts }),
  },
});

const domainsAnswer = answer({
  ...range,
  domains: {
    type: 'array',
    description: 'Each sending domain with its counts and rates over the range, most accepted first.',
    items: answer({ domain: { type: 'string', description: 'The sending domain.' }, ...ratedCounts }),
  },
});

// The examples: two days of example.com's mail.
const zero = Object.fromEntries(STAT_COUNTS.map((c) => [c, 0])) as StatCounts;
/** Counts with their rates, as the API computes them. */
function rated(c: Partial<StatCounts>) {
  const n = { ...zero, ...c };
  return { ...n, rates: statRates(n) };
}
const day1 = { accepted: 1240, sent: 1236, delivered: 1221, deferred: 9, bounced: 15, bounced_hard: 11 };
const day2 = { accepted: 1318, sent: 1315, delivered: 1302, deferred: 4, bounced: 12, bounced_hard: 9 };
const engaged1 = { opened: 702, opened_unique: 611, opened_machine: 254, clicked: 233, clicked_unique: 198 };
const engaged2 = { opened: 731, opened_unique: 640, opened_machine: 266, clicked: 251, clicked_unique: 214 };
const extra1 = { bounced_soft: 4, rejected: 6, clicked_machine: 41, unsubscribed: 3, complained: 1 };
const extra2 = { bounced_soft: 3, rejected: 2, clicked_machine: 37, unsubscribed: 2, complained: 0 };
const first = { ...day1, ...engaged1, ...extra1 };
const second = { ...day2, ...engaged2, ...extra2 };
const total = Object.fromEntries(
  STAT_COUNTS.map((c) => [c, (first[c as keyof typeof first] ?? 0) + (second[c as keyof typeof second] ?? 0)]),
) as StatCounts;

export const statsOverTime = documented(statsAnswer, 'The counts of each bucket, and over the whole range.', {
  since: '2026-04-05T00:00:00.000Z',
  until: '2026-04-07T00:00:00.000Z',
  resolution: 'day',
  tag: null,
  domain: null,
  buckets: [
    { start: '2026-04-05T00:00:00.000Z', ...rated(first) },
    { start: '2026-04-06T00:00:00.000Z', ...rated(second) },
  ],
  totals: rated(total),
});

const welcome = { accepted: 812, sent: 811, delivered: 806, bounced: 5, bounced_hard: 4, bounced_soft: 1 };
const invoice = { accepted: 455, sent: 455, delivered: 452, bounced: 3, bounced_hard: 3 };
const byTag = { since: '2026-03-30T10:00:00.000Z', until: '2026-04-06T11:00:00.000Z' };
export const tagStats = documented(tagsAnswer, 'The counts of each tag over the range.', {
  ...byTag,
  tags: [
    { tag: 'welcome', ...rated({ ...welcome, opened: 530, opened_unique: 488, clicked: 201, clicked_unique: 177 }) },
    { tag: 'invoice', ...rated({ ...invoice, opened: 301, opened_unique: 297, clicked: 12, clicked_unique: 12 }) },
  ],
});
export const domainStats = documented(domainsAnswer, 'The counts of each sending domain over the range.', {
  ...byTag,
  domains: [{ domain: 'example.com', ...rated(total) }],
});
