import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ScannerLists } from '../core/bot-classification.js';
import { errors } from '../core/errors.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { HONEYPOT_URL } from './plan.js';
import { recordHit, type Hit, type HitRules, type RecipientCache } from './record-hit.js';
import { TtlCache } from '../core/ttl-cache.js';
import type { TrackingTokens } from './tokens.js';

/** The 43-byte transparent 1×1 GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const NO_STORE = 'no-store, no-cache, must-revalidate, private';
/**
 * Past this many hits waiting for their group commit, an answer waits for its own hit to be written:
 * back-pressure instead of an unbounded queue, and no hit is ever dropped.
 */
const DEFAULT_MAX_PENDING = 2_000;
/**
 * The longest that back-pressure holds an answer, in ms. The GIF and the redirect must always come: a
 * database that stopped answering (PostgreSQL unreachable, a connection attempt hanging) would
 * otherwise hold every visitor until it came back. The hit still waits for its commit behind the answer.
 */
const MAX_WAIT_MS = 250;

export interface TrackingDeps {
  tokens: TrackingTokens;
  committer: GroupCommitter;
  lists: ScannerLists;
  rules: HitRules;
  log: Logger;
  /** Hits waiting for their group commit before answers wait (up to MAX_WAIT_MS) for their own (default 2,000). */
  maxPending?: number;
  /** Called after a hit was recorded (tests wait on it). */
  onRecorded?: () => void;
}

/** Resolves when `work` settles or after `ms`, whichever is first. */
function atMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * GET /v1/track/open/{token} and /v1/track/click/{token}: the hottest path. No key or session work;
 * the answer (the GIF, the redirect) never waits for the database: hits are written in group
 * commits behind it, so a burst of pixel loads does not queue behind single-row commits.
 */
export function trackingRoutes(app: FastifyInstance, deps: TrackingDeps): void {
  let pending = 0;
  const maxPending = deps.maxPending ?? DEFAULT_MAX_PENDING;
  const recipients: RecipientCache = new TtlCache(60_000, 50_000);
  const record = async (hit: Hit): Promise<void> => {
    pending++;
    const written = deps.committer.run((trx) => recordHit(trx, deps.lists, deps.rules, hit, recipients))
      .then(() => deps.onRecorded?.(), (error: unknown) => deps.log.error({ err: error, emailId: hit.emailId }, 'could not record a tracking hit'))
      .finally(() => pending--);
    if (pending > maxPending) await atMost(written, MAX_WAIT_MS);
  };

  app.get<{ Params: { token: string } }>('/v1/track/open/:token', { schema: { tags: ['Tracking'], summary: 'The open pixel (always the GIF)', security: [] } }, async (request, reply) => {
    const target = deps.tokens.verify(request.params.token, 'open');
    if (target) {
      await record({ kind: 'open', emailId: target.emailId, recipientId: target.recipientId, url: null, ua: request.headers['user-agent'] ?? '', ip: request.ip, referer: null, at: Date.now() });
    }
    return reply.header('cache-control', NO_STORE).header('pragma', 'no-cache').header('expires', '0').type('image/gif').send(PIXEL_GIF);
  });

  app.get<{ Params: { token: string } }>('/v1/track/click/:token', { schema: { tags: ['Tracking'], summary: 'A tracked link: records the click, redirects (302)', security: [] } }, async (request, reply) => {
    const target = deps.tokens.verify(request.params.token, 'click');
    if (!target || target.kind !== 'click') throw errors.notFound('Link');
    // The WHATWG serialisation percent-encodes what a Location header cannot carry (non-Latin-1, spaces).
    let location: string | null = null;
    try {
      location = target.url === HONEYPOT_URL ? null : new URL(target.url).href;
    } catch {
      throw errors.notFound('Link');
    }
    await record({
      kind: 'click', emailId: target.emailId, recipientId: target.recipientId, url: target.url, ua: request.headers['user-agent'] ?? '', ip: request.ip,
      referer: typeof request.headers.referer === 'string' ? request.headers.referer : null, at: Date.now(),
    });
    void reply.header('cache-control', NO_STORE);
    if (location === null) return reply.status(204).send();
    return reply.redirect(location, 302);
  });
}
