import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { errors } from '../core/errors.js';
import type { HitBuffer } from './recording/hit-buffer.js';
import { HONEYPOT_URL, OPEN_TOKEN_CHARS, type TrackingTokens } from './tokens.js';

/** The 43-byte transparent 1×1 GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
/** The tracking answers' Cache-Control: never stored, so that every load and click reaches us. */
export const NO_STORE = 'no-store, no-cache, must-revalidate, private';
/** The pixel's headers: never cached, so that every load reaches us. */
export const PIXEL_HEADERS = {
  'content-type': 'image/gif',
  'cache-control': NO_STORE,
  pragma: 'no-cache',
  expires: '0',
  'x-content-type-options': 'nosniff',
};
const OPEN_PATH = '/v1/track/open';
const CLICK_PATH = '/v1/track/click';

/**
 * What the reference says of the two endpoints. Documentation only: the routes take no schema, so that nothing
 * validates on this path (the handlers check the tokens), and their answers are a GIF and a redirect.
 */
const tokenParam = (description: string, example: string) => ({
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', description, examples: [example] } },
});
const OPEN_DOCS = {
  params: tokenParam(
    "The signed token of one recipient's copy, from the pixel's URL.",
    'bwGdYjwdcn5GhZBn4IudJDQBnWI8HXN6EJsuTFHQ6POn.mZSR_UUhIY58sL-BQUFmtw',
  ),
  response: {
    200: {
      description: 'The 43-byte transparent GIF, whatever the token; never cached.',
      content: { 'image/gif': { schema: { type: 'string', contentMediaType: 'image/gif' } } },
    },
  },
};
const linkNotFound = errors.notFound('Link');
const CLICK_DOCS = {
  params: tokenParam(
    "The signed token of one link in one recipient's copy, from the link's URL.",
    'YwGdYjwdcn5GhZBn4IudJDQBnWI8HXN6EJsuTFHQ6POnaHR0cHM6Ly9leGFtcGxlLmNvbS9zdGFydA.FaMEMWhGi4398LAWX_Eisw',
  ),
  response: {
    302: {
      type: 'null',
      description: "To the link's destination, in Location; never cached.",
      headers: { location: { type: 'string', description: 'The destination the token signs.' } },
    },
    204: { type: 'null', description: 'A hidden link only machines follow: recorded, no redirect.' },
    404: {
      $ref: 'Error#',
      description: 'The token is not one this server signed, or not spelled as in the email.',
      examples: [{ detail: linkNotFound.message, code: linkNotFound.code }],
    },
  },
};

/**
 * Which tracking endpoint a request the router could not route was meant for (a token with a bad %-escape,
 * longer than the router's parameters, empty, or holding a `/`), so that it is answered as that endpoint
 * answers a token it did not sign: `open` with the GIF (see sendPixel), `click` with the invalid link. Null
 * for any other request.
 */
export function unroutedTrackingPath(method: string, url: string): 'open' | 'click' | null {
  if (method !== 'GET' && method !== 'HEAD') return null;
  const path = url.split('?', 1)[0] ?? '';
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  return under(OPEN_PATH) ? 'open' : under(CLICK_PATH) ? 'click' : null;
}

/** Answers the open pixel: the GIF, never stored by a cache. */
export function sendPixel(reply: FastifyReply): FastifyReply {
  return reply.headers(PIXEL_HEADERS).send(PIXEL_GIF);
}
/**
 * The longest that back-pressure holds an answer, in ms. The GIF and the redirect must always come: a
 * database that stopped answering (PostgreSQL unreachable, a connection attempt hanging) would
 * otherwise hold every visitor until it came back. The hit still waits for its commit behind the answer.
 */
const MAX_WAIT_MS = 250;

export interface TrackingDeps {
  /** Verifies click tokens (the recording thread verifies the pixels'). */
  tokens: TrackingTokens;
  recorder: HitBuffer;
  log: Logger;
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
 * Answers at once, or, when back-pressure hands back the hit's write to wait for, once it settled or
 * MAX_WAIT_MS passed. At once means in the handler itself, with no promise: on this path an await per
 * request is a measurable share of the event loop's work.
 */
function afterWrite<T>(written: Promise<void> | undefined, answer: () => T): T | Promise<T> {
  return written ? atMost(written, MAX_WAIT_MS).then(answer) : answer();
}

/**
 * GET /v1/track/open/{token} and /v1/track/click/{token}: the hottest path. No key or session work;
 * the answer (the GIF, the redirect) never waits for the database: hits are handed to the recording
 * thread, which writes them in batches behind it (HitBuffer), so a burst of pixel loads does not
 * queue behind single-row commits, and the event loop runs none of their statements.
 * Meant for a scope of its own (see buildApp), outside the API's request-id and request-log hooks:
 * here a request id is a counter, and the routes log through one logger made once rather than a child
 * per request (nothing is logged per request but an unexpected error; a failed write is logged by the recorder).
 */
export function trackingRoutes(app: FastifyInstance, deps: TrackingDeps): void {
  const { recorder } = deps;
  // Closing the app writes what is still buffered and stops the recording thread, before the server closes the
  // database.
  app.addHook('onClose', async () => recorder.close());
  let requests = 0;
  app.setGenReqId(() => `t${(++requests).toString(36)}`);
  const log = deps.log.child({ role: 'tracking' });
  app.setChildLoggerFactory(() => log);

  app.get<{ Params: { token: string } }>(
    `${OPEN_PATH}/:token`,
    {
      config: { openapi: OPEN_DOCS },
      schema: {
        tags: ['Tracking'],
        summary: 'Load the open pixel',
        description:
          "The image in each recipient's copy that records an open: always the 43-byte GIF with Cache-Control " +
          '`no-store, no-cache, must-revalidate, private`, whatever the token (empty, too long, badly escaped); ' +
          'only a genuine one is recorded. Opens by machines (image proxies, scanners, prefetches) are recorded ' +
          'with their `bot` and not counted. No key.',
        security: [],
      },
    },
    (request, reply) => {
      // The GIF is the answer whatever the token: the recorder checks its MAC with the batch. Only a token
      // of the one length an open token has is buffered, so garbage (up to the router's 10,000-character
      // parameters) costs no memory while it waits.
      const token = request.params.token;
      const written =
        token.length === OPEN_TOKEN_CHARS
          ? recorder.add({
              kind: 'pixel',
              token,
              ua: request.headers['user-agent'] ?? '',
              ip: request.ip,
              at: Date.now(),
            })
          : undefined;
      return afterWrite(written, () => sendPixel(reply));
    },
  );

  app.get<{ Params: { token: string } }>(
    `${CLICK_PATH}/:token`,
    {
      config: { openapi: CLICK_DOCS },
      schema: {
        tags: ['Tracking'],
        summary: 'Follow a tracked link',
        description:
          "Where each tracked link of a recipient's copy leads: records the click and redirects (302) to the " +
          'destination the token signs (so it is never an open redirect), even when recording fails. 404 ' +
          '`not_found` for a token this server did not sign, and for any spelling of a genuine one but the one in ' +
          'the email (padding, `+` or `/` for `-` or `_`, a second dot, a trailing `/`). No key.',
        security: [],
      },
    },
    (request, reply) => {
      // The router takes `token/` for `token`: a trailing slash is another spelling, refused like the others.
      const query = request.url.indexOf('?');
      if ((query === -1 ? request.url : request.url.slice(0, query)).endsWith('/')) throw errors.notFound('Link');
      const target = deps.tokens.verify(request.params.token, 'click');
      if (!target || target.kind !== 'click') throw errors.notFound('Link');
      // The WHATWG serialisation percent-encodes what a Location header cannot carry (non-Latin-1, spaces).
      let location: string | null = null;
      try {
        location = target.url === HONEYPOT_URL ? null : new URL(target.url).href;
      } catch {
        throw errors.notFound('Link');
      }
      const written = recorder.add({
        kind: 'click',
        emailId: target.emailId,
        recipientId: target.recipientId,
        url: target.url,
        ua: request.headers['user-agent'] ?? '',
        ip: request.ip,
        referer: typeof request.headers.referer === 'string' ? request.headers.referer : null,
        at: Date.now(),
      });
      return afterWrite(written, () => {
        void reply.header('cache-control', NO_STORE).header('x-content-type-options', 'nosniff');
        return location === null ? reply.status(204).send() : reply.redirect(location, 302);
      });
    },
  );
}
