/** JSON Schemas of /v1/stats (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_BUCKETS, MAX_RANGE_DAYS, RESOLUTIONS } from '../core/stats.js';
import { STAT_COUNTS, type StatCount } from '../model.js';
import { answer } from './schemas.js';

const time = { type: 'string', format: 'date-time' } as const;
const nullableStr = { type: ['string', 'null'] } as const;

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
const rates = answer({
  delivered: rate('delivered / accepted'),
  opened: rate('opened_unique / delivered'),
  clicked: rate('clicked_unique / delivered'),
  bounced: rate('bounced / accepted'),
  complained: rate('complained / delivered'),
});

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

export const statsAnswer = answer({
  since: { ...time, description: 'The start of the first bucket.' },
  until: { ...time, description: 'The end of the last bucket.' },
  resolution: { type: 'string', enum: RESOLUTIONS },
  tag: nullableStr,
  domain: nullableStr,
  buckets: {
    type: 'array',
    description: 'Every bucket of the range, oldest first; zeros where nothing happened.',
    items: answer({ start: { ...time, description: 'UTC.' }, ...ratedCounts }),
  },
  totals: answer(ratedCounts),
});

const range = {
  since: { ...time, description: 'The start of the first UTC hour counted.' },
  until: { ...time, description: 'The end of the last UTC hour counted.' },
};

export const tagsAnswer = answer({
  ...range,
  tags: {
    type: 'array',
    description: 'Most accepted first.',
    items: answer({ tag: { type: 'string' }, ...ratedCounts }),
  },
});

export const domainsAnswer = answer({
  ...range,
  domains: {
    type: 'array',
    description: 'Most accepted first.',
    items: answer({ domain: { type: 'string' }, ...ratedCounts }),
  },
});
