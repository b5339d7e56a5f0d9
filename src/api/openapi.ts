import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { errorBody } from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * What the reference says of a route beyond its schema, for routes that must not validate with one (the
     * tracking endpoints, whose tokens are checked by their handlers) or that answer something other than JSON
     * (pages, images, a captured message): path parameters and answers, for the document only.
     */
    openapi?: { params?: object; response?: Record<number, unknown> };
  }
}

/**
 * The groups of the reference, in the order someone meets them setting up: a key, a domain, a sender, the
 * first email, then what follows. The document lists its paths in this order too.
 */
const TAGS = [
  { name: 'Health', description: 'Whether the server is up and its database answers; no key needed.' },
  {
    name: 'API keys',
    description: 'Keys authenticate every /v1 request as `Authorization: Bearer tfm_k_…`; a new key is shown once.',
  },
  {
    name: 'Auth',
    description:
      "The dashboard's sign-in: a person logs in with email and password and gets a session cookie, which " +
      'authenticates /v1 like a key (writes also need the header `X-Taifa-Csrf: 1`).',
  },
  {
    name: 'Domains',
    description:
      'The domains you send from: each gets its own DKIM key and the DNS records to publish, and must be verified ' +
      'before it sends. Also where its tracking and unsubscribe defaults are set.',
  },
  { name: 'Senders', description: 'The From addresses you may send as, each on one of your verified domains.' },
  {
    name: 'Emails',
    description:
      'Send one email or a batch, schedule them, check a body without sending it, then follow each email: its ' +
      'status, its recipients, its events, the list, search and a feed of changes.',
  },
  {
    name: 'Suppressions',
    description: 'The addresses not sent to: bounces and complaints (recorded for you) and unsubscribes, per domain.',
  },
  {
    name: 'Webhooks',
    description:
      'Your endpoints that events are posted to, signed the Standard Webhooks way, with their delivery log, ' +
      'replays and test sends.',
  },
  {
    name: 'Events',
    description: 'Every event of every email of the account, filtered and paged by a cursor: to follow or copy them.',
  },
  { name: 'Stats', description: 'Counts and rates per hour, day or month, per tag and per sending domain.' },
  {
    name: 'Tracking',
    description:
      "What recipients' mail clients and mailbox providers call, without a key: the open pixel, tracked links and " +
      'the unsubscribe links and pages.',
  },
];

const INFO = `Send transactional email over HTTP; Taifa Mail delivers it over SMTP, signs it with DKIM and records
every step of its life.

**Keys.** Every \`/v1\` route but the tracking and unsubscribe ones needs an API key:
\`Authorization: Bearer tfm_k_…\`. The server prints the first one at its first start; make more with
\`POST /v1/api-keys\`.

**Getting started.** Add a domain, publish the DNS records its answer lists and verify it, register a sender on
it, then send. In sandbox mode (\`TAIFA_SANDBOX=true\`) domains verify without DNS and nothing leaves: every
message is captured instead, to read back from \`GET /v1/emails/{id}/raw\`.

**Conventions.** JSON in and out. Ids are UUIDv7 strings; times are ISO 8601 in UTC with \`Z\`. Lists page with a
zero-based \`page\` and a \`limit\`; event lists with an opaque cursor, sent back in the \`x-next-cursor\` header.
Every API answer carries an \`x-request-id\` header: yours, when you send one (up to 128 letters, digits and
\`._:-\`), else a new one.

**Errors** are JSON: \`{"detail": "…", "code": "snake_case", "errors": [{"field": "to[0].email", "error": "…"}]}\`
(\`errors\` only when fields are at fault). Besides each route's own: 400 \`invalid_json\`, 400 \`bad_url\`, 404
\`route_not_found\`, 414 \`uri_too_long\`, 415 \`unsupported_media_type\` (a JSON route's body without
\`Content-Type: application/json\`), 429 \`rate_limited\` or \`too_many_auth_failures\` (with \`Retry-After\`) and
503 \`database_busy\` (with \`Retry-After\`; nothing was written).`;

/** Documentation-only keys on an operation, moved into its answers by `finishDocument`. */
const ERROR_EXAMPLES = 'x-taifa-error-examples';

interface ErrorExampleBody {
  code: string;
}
interface MediaType {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
interface Response {
  description: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  tags?: string[];
  responses?: Record<string, Response>;
  [ERROR_EXAMPLES]?: Record<string, ErrorExampleBody[]>;
}
type PathItem = Record<string, Operation>;
interface Document {
  paths?: Record<string, PathItem>;
}

/** What an error status means where a route says no more. */
const STATUS_MEANING: Record<string, string> = {
  '400': 'The request is malformed.',
  '401': 'No API key, or one that is malformed, unknown or deleted.',
  '403': "Not available on the account's plan.",
  '404': 'Not found in this account.',
  '409': 'In conflict with the current state.',
  '413': 'Too large.',
  '415': 'The body is not of the type this route reads.',
  '422': 'The request is invalid: `errors` names each field at fault.',
  '429': 'Too many requests: see Retry-After.',
  '503': 'Not ready: the database does not answer.',
};

const isErrorRef = (s: unknown): s is { $ref: string; examples?: ErrorExampleBody[] } =>
  typeof s === 'object' && s !== null && (s as { $ref?: unknown }).$ref === 'Error#';

/**
 * A route's schema as the document describes it: with the documentation-only parameters and answers of its
 * `config.openapi`, and with the examples of its error answers set aside (the generator drops keywords beside a
 * `$ref`) under an extension key that `finishDocument` moves to the answers.
 */
function describeRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }) {
  const extra = route.config?.openapi;
  const own = (schema as { response?: Record<string, unknown> } | undefined)?.response;
  const responses = extra?.response || own ? { ...extra?.response, ...own } : undefined;
  const examples: Record<string, ErrorExampleBody[]> = {};
  const response = responses
    ? Object.fromEntries(
        Object.entries(responses).map(([status, answer]) => {
          if (!isErrorRef(answer) || !answer.examples) return [status, answer];
          const { examples: list, ...ref } = answer;
          examples[status] = list;
          return [status, ref];
        }),
      )
    : undefined;
  return {
    url,
    schema: {
      ...schema,
      ...(extra?.params ? { params: extra.params } : {}),
      ...(response ? { response } : {}),
      ...(Object.keys(examples).length ? { [ERROR_EXAMPLES]: examples } : {}),
    },
  };
}

/** The examples of an error answer: one as `example`, several by their codes (Swagger UI offers a choice). */
function placeErrorExamples(response: Response, list: ErrorExampleBody[]): void {
  const media = response.content?.['application/json'];
  if (!media) return;
  if (list.length === 1) media.example = list[0];
  else {
    media.examples = {};
    for (const value of list) {
      let name = value.code;
      for (let n = 2; name in media.examples; n++) name = `${value.code}_${n}`;
      media.examples[name] = { value };
    }
  }
}

/** The first of the operations' tags in the TAGS order (paths are listed in that order). */
function tagRank(item: PathItem): number {
  const ranks = Object.values(item).flatMap((op) => (op.tags ?? []).map((t) => TAGS.findIndex((x) => x.name === t)));
  return Math.min(...ranks.map((r) => (r < 0 ? TAGS.length : r)), TAGS.length);
}

/** The generated document, finished: error examples in their answers, a meaning for every error, paths in order. */
function finishDocument({ openapiObject }: { openapiObject: Document }): Document {
  for (const item of Object.values(openapiObject.paths ?? {})) {
    for (const op of Object.values(item)) {
      const examples = op[ERROR_EXAMPLES];
      delete op[ERROR_EXAMPLES];
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const generic = response.description === 'Default Response' || response.description === errorBody.description;
        if (generic && STATUS_MEANING[status]) response.description = STATUS_MEANING[status];
        const list = examples?.[status];
        if (list) placeErrorExamples(response, list);
      }
    }
  }
  const paths = Object.entries(openapiObject.paths ?? {});
  // A stable sort: within a tag, the paths keep the order their routes were registered in.
  paths.sort(([, a], [, b]) => tagRank(a) - tagRank(b));
  return { ...openapiObject, paths: Object.fromEntries(paths) };
}

/**
 * Registers the OpenAPI 3.1 generator (before any route, so it sees them all): the document is built
 * from the route schemas and served at /v1/openapi.json, rendered at /docs.
 */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  app.addSchema(errorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Taifa Mail API', version: '1', description: INFO },
      servers: [{ url: publicUrl }],
      tags: TAGS,
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'tfm_k_… API key' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'taifa_session',
            description: 'The dashboard session (POST /v1/auth/login); writes also need the header X-Taifa-Csrf: 1',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transform: describeRoute,
    transformObject: (documentObject) =>
      'openapiObject' in documentObject
        ? finishDocument(documentObject as { openapiObject: Document })
        : documentObject.swaggerObject,
  });
}

/** The reference's tab icon: Taifa Mail's, not the framework's. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" \
fill="#0f5132"/><path d="M6 10h20v13H6z" fill="none" stroke="#fff" stroke-width="2"/><path d="M6 10l10 8 10-8" \
fill="none" stroke="#fff" stroke-width="2"/></svg>`;

/**
 * Serves the document and its rendered reference (after the routes are registered). GET /docs answers
 * 200 with the Swagger UI page, /docs/ too (no redirect); the page loads the document from /docs/json.
 * The page is Taifa Mail's: its title and icon, and Swagger UI's plain layout (no top bar with the framework's
 * logo and its box for loading other documents). Everything it loads comes from this server (see the
 * Content-Security-Policy in security-headers.ts): no validator badge, no fonts or images from elsewhere.
 */
export async function serveOpenApi(app: FastifyInstance): Promise<void> {
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { layout: 'BaseLayout', docExpansion: 'list', deepLinking: true, displayRequestDuration: true },
    validatorUrl: false,
    // Shown only in the top bar of Swagger UI's other layout; given so that the page's script carries no other logo.
    logo: { type: 'image/svg+xml', content: FAVICON },
    theme: {
      title: 'Taifa Mail API reference',
      favicon: [{ filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: FAVICON }],
    },
  });
}
