import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { errors } from '../core/errors.js';
import { importSuppressions } from '../services/import-suppressions.js';
import {
  addressSuppressions,
  addSuppressionItems,
  MAX_SUPPRESSIONS_PER_REQUEST,
  removeSuppressions,
  suppressionList,
  type SuppressionDeps,
  type SuppressionItem,
} from '../services/suppressions.js';
import type { SuppressionRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { querySchemaValidation } from './query-schema.js';
import { schemaFieldErrors } from './schema-errors.js';
import { errorCase, withErrors } from './schemas.js';
import {
  addRequest,
  addResults,
  addressSuppressions as addressAnswer,
  deletedSuppressions,
  importRequest,
  importResults,
  listQuery,
  scopeQuery,
  suppressionList as listAnswer,
  suppressionParams,
  type ListQuery,
  type ScopeQuery,
  type SuppressionParams,
} from './suppression-schemas.js';

const tags = ['Suppressions'];
const notOnList = errorCase(
  errors.notFound('jane@example.org on the unsubscribe list'),
  'The address is not on that list (in that scope).',
);
const badScope = errorCase(
  errors.validation([{ field: 'domain', error: 'applies to unsubscribes only' }]),
  'The address is not one, or domain or tag were given for a list other than unsubscribe.',
);

/** The API shape of a suppression. */
export function suppressionView(s: SuppressionRow) {
  return {
    address: s.address,
    type: s.type,
    domain: s.domain || null,
    tag: s.tag || null,
    reason: s.reason,
    source_email_id: s.source_email_id,
    created_at: new Date(s.created_at).toISOString(),
  };
}

/** A body's items with the schema's errors of each, named from the body's root (`suppressions[3].address`). */
function checkedItems(request: FastifyRequest): SuppressionItem[] {
  const failure = request.validationError;
  const errs = (failure?.validation ?? []) as FastifySchemaValidationError[];
  if (failure && failure.validationContext !== 'body') throw failure;
  const byItem = new Map<number, FastifySchemaValidationError[]>();
  const envelope: FastifySchemaValidationError[] = [];
  for (const e of errs) {
    const m = /^\/suppressions\/(\d+)(?:\/|$)/.exec(e.instancePath);
    if (m) byItem.set(Number(m[1]), [...(byItem.get(Number(m[1])) ?? []), e]);
    else envelope.push(e);
  }
  const body = (request.body ?? {}) as { suppressions?: unknown };
  if (envelope.length) throw errors.validation(schemaFieldErrors(envelope, body));
  const list = Array.isArray(body.suppressions) ? (body.suppressions as unknown[]) : [];
  return list.map((value, index) => ({
    index,
    value: value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {},
    schemaErrors: schemaFieldErrors(byItem.get(index) ?? [], body),
  }));
}

/** `/v1/suppressions`: the addresses the account does not send to (bounce, complaint and unsubscribe lists). */
export function suppressionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const deps: SuppressionDeps = { store: ctx.store, committer: ctx.committer };
  app.get<{ Querystring: ListQuery }>(
    '/v1/suppressions',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'List suppressions',
        description:
          "The account's suppressions, newest first: one list (`type`), part of an address (`q`, any case), the " +
          'unsubscribes of one sending domain (`domain`); zero-based `page`, `limit` 1–100 (default 20). ' +
          'Bounces and complaints stop mail from every domain of the account; an unsubscribe only from its ' +
          'domain (and, with a tag, only mail with that tag).',
        querystring: listQuery,
        response: withErrors(
          { 200: listAnswer },
          errorCase(
            errors.validation([{ field: 'type', error: 'must be one of "bounce", "complaint", "unsubscribe"' }]),
            'A parameter is invalid: an unknown list, a page or limit out of range.',
          ),
        ),
      },
    },
    async (request) => {
      const { type, q, domain, page, limit } = request.query;
      const rows = await suppressionList(ctx.store, requireAuth(request).accountId, {
        type,
        q: q?.trim() || undefined,
        domain: domain?.trim().toLowerCase() || undefined,
        limit,
        offset: page * limit,
      });
      return rows.map(suppressionView);
    },
  );

  app.get<{ Params: SuppressionParams; Querystring: ScopeQuery }>(
    '/v1/suppressions/:type/:address',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Look an address up on a list',
        description:
          "An address's entries on one list: one for bounce and complaint, one per domain and tag for unsubscribe " +
          '(narrow them with `domain` and `tag`). Addresses compare as mail is routed: the domain part in any ' +
          'letter case, the local part exactly. 404 when it is not on the list.',
        params: suppressionParams,
        querystring: scopeQuery,
        response: withErrors({ 200: addressAnswer }, notOnList, badScope),
      },
    },
    async (request) => {
      const { type, address } = request.params;
      const rows = await addressSuppressions(ctx.store, requireAuth(request).accountId, {
        type,
        address,
        ...request.query,
      });
      return { address, type, suppressions: rows.map(suppressionView) };
    },
  );

  app.post(
    '/v1/suppressions',
    {
      attachValidation: true,
      // Counted before the schema checks every item: an oversized request is refused at once.
      preValidation: async (request) => {
        const list = (request.body as { suppressions?: unknown } | null)?.suppressions;
        if (Array.isArray(list) && list.length > MAX_SUPPRESSIONS_PER_REQUEST)
          throw errors.validation(
            [{ field: 'suppressions', error: `has ${list.length} items; at most ${MAX_SUPPRESSIONS_PER_REQUEST}` }],
            `One request adds at most ${MAX_SUPPRESSIONS_PER_REQUEST} suppressions; this one has ${list.length}.`,
          );
      },
      schema: {
        tags,
        summary: 'Add suppressions',
        description:
          '1 to 10,000 items, each checked and added on its own: invalid ones get status "invalid" with their ' +
          'errors (naming the field from the body, such as `suppressions[2].address`), the others are added (or ' +
          'were already there). An unsubscribe needs the sending `domain` it applies to, and may name a `tag`; ' +
          'bounce and complaint take neither. 422 when every item is invalid, or the body is not ' +
          '`{"suppressions": [...]}` with 1 to 10,000 items.',
        body: addRequest,
        response: withErrors(
          { 200: addResults },
          errorCase(
            errors.validation([{ field: 'suppressions[0].address', error: 'is not a valid email address' }]),
            'Every item is invalid, or the body is.',
          ),
        ),
      },
    },
    async (request) => addSuppressionItems(deps, requireAuth(request).accountId, checkedItems(request)),
  );

  // The CSV import reads text/csv, in a scope of its own so that no other route accepts it.
  void app.register(async (scope) => {
    scope.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post(
      '/v1/suppressions/import',
      {
        // A JSON body (parsed by the app's own parser) is the wrong kind of file, not a wrong field.
        preValidation: async (request) => {
          if (typeof request.body !== 'string') throw errors.unsupportedMediaType('text/csv');
        },
        schema: {
          tags,
          summary: 'Import suppressions from a CSV file',
          description:
            'A `text/csv` file (RFC 4180) whose first row names its columns, in any order: `address` and `type` ' +
            'required, `domain`, `tag` and `reason` optional, as in `address,type,domain,tag,reason`. Up to 100,000 ' +
            'rows. Each row is checked as an item of POST /v1/suppressions: bad rows are skipped and reported by ' +
            'line, the others added. 415 for a body that is not text/csv, 422 for a file without a header row or ' +
            'over 100,000 rows, 413 over the request size.',
          consumes: ['text/csv'],
          body: importRequest,
          response: withErrors(
            { 200: importResults },
            errorCase(
              errors.payloadTooLarge(
                'The request body is larger than 40 MiB; attachments are capped at 24 MiB each and combined.',
              ),
              'The file is over the request size (40 MiB).',
            ),
            errorCase(errors.unsupportedMediaType('text/csv'), 'The body is not sent as text/csv.'),
            errorCase(
              errors.validation([
                { field: 'body', error: 'must start with a header row: address,type,domain,tag,reason' },
              ]),
              'No header row, or too many rows.',
            ),
          ),
        },
      },
      async (request) => importSuppressions(deps, requireAuth(request).accountId, String(request.body)),
    );
  });

  app.delete<{ Params: SuppressionParams; Querystring: ScopeQuery }>(
    '/v1/suppressions/:type/:address',
    {
      ...querySchemaValidation,
      schema: {
        tags,
        summary: 'Take an address off a list',
        description:
          'Removes the address from the list, so that the next email to it goes out. For unsubscribes: every ' +
          'domain and tag, or with `domain` that domain only (its tags too), with `tag` as well that tag only. ' +
          'Answers how many entries were removed; 404 when it was not on the list.',
        params: suppressionParams,
        querystring: scopeQuery,
        response: withErrors({ 200: deletedSuppressions }, notOnList, badScope),
      },
    },
    async (request) => {
      const { type, address } = request.params;
      const deleted = await removeSuppressions(deps, requireAuth(request).accountId, {
        type,
        address,
        ...request.query,
      });
      return { address, type, deleted };
    },
  );
}
