import type { FastifyInstance } from 'fastify';
import { statsBy, statsSeries } from '../services/stats.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { querySchemaValidation, queryTime } from './query-schema.js';
import { withErrors } from './schemas.js';
import {
  domainsAnswer,
  statsAnswer,
  statsQuery,
  tagsAnswer,
  totalsQuery,
  type StatsQueryString,
  type TotalsQueryString,
} from './stats-schemas.js';

const tags = ['Stats'];
const iso = (ms: number) => new Date(ms).toISOString();

/** `/v1/stats`: the account's counts per UTC bucket, and totals per tag and per sending domain. */
export function statsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: StatsQueryString }>(
    '/v1/stats',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Counts and rates per hour, day or month (UTC), optionally of one tag or sending domain',
        querystring: statsQuery,
        response: withErrors({ 200: statsAnswer }, 422),
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
          summary: `Totals per ${by} over a range, most accepted first, to compare them`,
          querystring: totalsQuery,
          response: withErrors({ 200: by === 'tag' ? tagsAnswer : domainsAnswer }, 422),
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
