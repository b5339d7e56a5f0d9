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
import { withErrors } from './schemas.js';
import {
  addAnswer,
  addBody,
  addressAnswer,
  deletedAnswer,
  importAnswer,
  importBody,
  listQuery,
  scopeQuery,
  suppressionBody,
  suppressionParams,
  type ListQuery,
  type ScopeQuery,
  type SuppressionParams,
} from './suppression-schemas.js';

const tags = ['Suppressions'];

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
        summary: 'List suppressions, newest first',
        querystring: listQuery,
        response: withErrors({ 200: { type: 'array', items: suppressionBody } }, 422),
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
        summary: "An address's entries on one list (for unsubscribes, one per domain and tag)",
        params: suppressionParams,
        querystring: scopeQuery,
        response: withErrors({ 200: addressAnswer }, 404, 422),
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
        summary: 'Add suppressions (1 to 10,000), with a result per item',
        description:
          'Each item is checked and added on its own: invalid ones get status "invalid" with their errors, the others are added (or were already there). 422 when every item is invalid.',
        body: addBody,
        response: withErrors({ 200: addAnswer }, 422),
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
          summary: 'Import suppressions from a CSV file with a header row',
          description: importBody.description,
          consumes: ['text/csv'],
          body: importBody,
          response: withErrors({ 200: importAnswer }, 413, 415, 422),
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
          'For unsubscribes: every domain and tag, or with `domain` that domain only (its tags too), with `tag` as well that tag only.',
        params: suppressionParams,
        querystring: scopeQuery,
        response: withErrors({ 200: deletedAnswer }, 404, 422),
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
