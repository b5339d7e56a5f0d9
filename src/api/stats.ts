import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { statsBy, statsSeries } from '../services/stats.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { querySchemaValidation, queryTime } from './query-schema.js';
import { errorCase, withErrors } from './schemas.js';
import {
  domainStats,
  statsQuery,
  statsOverTime,
  tagStats,
  totalsQuery,
  type StatsQueryString,
  type TotalsQueryString,
} from './stats-schemas.js';

const tags = ['Stats'];
const badRange = errorCase(
  errors.validation([{ field: 'since', error: 'must be before until (2026-04-01T00:00:00.000Z)' }]),
  'A parameter is invalid: a date-time without a time zone or that does not exist, a range that is reversed or ' +
    'over 400 days, or more than 1,000 buckets.',
);
const iso = (ms: number) => new Date(ms).toISOString();

/** `/v1/stats`: the account's counts per UTC bucket, and totals per tag and per sending domain. */
export function statsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: StatsQueryString }>(
    '/v1/stats',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Get counts and rates over time',
        description:
          "The account's counts (accepted, sent, delivered, deferred, bounced, rejected, failed, cancelled, opened, " +
          'clicked, unsubscribed, complained) and rates per UTC hour, day (default) or month, and over the whole ' +
          'range; optionally of one tag or sending domain. Every bucket of the range is listed, zeros included, ' +
          "at most 1,000; a bucket the range starts or ends in is counted whole, and the answer's `since` and " +
          '`until` say the range covered. `since` defaults to 7 days before `until`, `until` (exclusive) to now; ' +
          "the range is at most 400 days. Opens and clicks count people: machines' are apart (`_machine`).",
        querystring: statsQuery,
        response: withErrors({ 200: statsOverTime }, badRange),
      },
    },
    async (request) => {
      const q = request.query;
      const s = await statsSeries(ctx.store, requireAuth(request).accountId, {
        since: queryTime(q.since, 'since'),
        until: queryTime(q.until, 'until'),
        resolution: q.resolution,
        tag: q.tag,
        domain: q.domain,
        now: Date.now(),
      });
      return {
        since: iso(s.from),
        until: iso(s.to),
        resolution: s.resolution,
        tag: s.tag,
        domain: s.domain,
        buckets: s.buckets.map((b) => ({ start: iso(b.start), ...b.counts })),
        totals: s.totals,
      };
    },
  );

  for (const by of ['tag', 'domain'] as const) {
    const list = by === 'tag' ? 'tags' : 'domains';
    app.get<{ Querystring: TotalsQueryString }>(
      `/v1/stats/${list}`,
      {
        ...querySchemaValidation,
        schema: {
          tags,
          summary: `Compare ${by === 'tag' ? 'tags' : 'sending domains'}`,
          description:
            `The same counts and rates as GET /v1/stats, totalled per ${by === 'tag' ? 'tag' : 'sending domain'} ` +
            'over the range (whole UTC hours, default the last 7 days), most accepted first. ' +
            (by === 'tag'
              ? 'An email with two tags counts for each of them.'
              : 'The domain is that of the From address.'),
          querystring: totalsQuery,
          response: withErrors({ 200: by === 'tag' ? tagStats : domainStats }, badRange),
        },
      },
      async (request) => {
        const q = request.query;
        const r = await statsBy(ctx.store, requireAuth(request).accountId, by, {
          since: queryTime(q.since, 'since'),
          until: queryTime(q.until, 'until'),
          tag: q.tag,
          domain: q.domain,
          now: Date.now(),
        });
        return {
          since: iso(r.from),
          until: iso(r.to),
          [list]: r.entries.map((e) => ({ [by]: e.key, ...e.counts })),
        };
      },
    );
  }
}
