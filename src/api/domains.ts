import type { FastifyInstance } from 'fastify';
import { recordWarnings } from '../core/domain-records.js';
import { iso } from '../ids.js';
import {
  addDomain,
  deleteDomain,
  getDomain,
  listDomains,
  updateDomainSettings,
  verifyDomain,
  type DomainDeps,
} from '../services/domains.js';
import type { DomainRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import {
  answer,
  createDomainBody,
  deletedBody,
  domainBody,
  idParams,
  updateDomainBody,
  withErrors,
  type CreateDomainBody,
  type IdParams,
  type UpdateDomainBody,
} from './schemas.js';

const tags = ['Domains'];

/**
 * The domain answer: `domainBody` and `warnings`, one per record that cannot work as listed (an SPF or return-path
 * record naming a host that is not fully qualified), empty when all can.
 */
const domainAnswer = {
  ...domainBody,
  required: [...domainBody.required, 'warnings'],
  properties: {
    ...domainBody.properties,
    warnings: {
      type: 'array',
      description:
        "Records that cannot work as listed, each with the record's purpose and what to do; empty when all can.",
      items: answer({ record: { type: 'string', enum: ['spf', 'return_path'] }, message: { type: 'string' } }),
    },
  },
} as const;

/** The API shape of a domain. */
export function domainView(d: DomainRow) {
  return {
    id: d.id,
    name: d.name,
    status: d.status,
    records: d.records.map(({ required: _required, ...r }) => r),
    dkim_selector: d.dkim_selector,
    return_path_host: d.return_path_host,
    open_tracking: d.open_tracking === 1,
    click_tracking: d.click_tracking === 1,
    pixel_position: d.pixel_position,
    tracking_host: d.tracking_host,
    unsubscribe_links: d.unsubscribe_links === 1,
    created_at: iso(d.created_at),
    verified_at: iso(d.verified_at),
    last_checked_at: iso(d.last_checked_at),
    warnings: recordWarnings(d.records),
  };
}

/** `/v1/domains`: add a domain (fresh 2048-bit DKIM key), list, get, delete, verify in DNS. */
export function domainRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const deps: DomainDeps = {
    store: ctx.store,
    resolver: ctx.resolver,
    mtaHost: ctx.config.heloName,
    sandbox: ctx.config.sandbox,
    onSendersChanged: () => ctx.senderCache.clear(),
    secrets: ctx.secrets,
  };
  app.post<{ Body: CreateDomainBody }>(
    '/v1/domains',
    {
      schema: {
        tags,
        summary: 'Add a sending domain (fresh 2048-bit DKIM key)',
        body: createDomainBody,
        response: withErrors({ 201: domainAnswer }, 409, 422),
      },
    },
    async (request, reply) => {
      const row = await addDomain(deps, requireAuth(request).accountId, request.body.name);
      return reply.status(201).send(domainView(row));
    },
  );

  app.get(
    '/v1/domains',
    {
      schema: { tags, summary: 'List domains', response: withErrors({ 200: { type: 'array', items: domainAnswer } }) },
    },
    async (request) => {
      return (await listDomains(deps, requireAuth(request).accountId)).map(domainView);
    },
  );

  app.get<{ Params: IdParams }>(
    '/v1/domains/:id',
    { schema: { tags, summary: 'Get a domain', params: idParams, response: withErrors({ 200: domainAnswer }, 404) } },
    async (request) => {
      return domainView(await getDomain(deps, requireAuth(request).accountId, request.params.id));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/domains/:id',
    {
      schema: {
        tags,
        summary: 'Delete a domain and its senders',
        params: idParams,
        response: withErrors({ 200: deletedBody }, 404),
      },
    },
    async (request) => {
      await deleteDomain(deps, requireAuth(request).accountId, request.params.id);
      return { id: request.params.id, deleted: true };
    },
  );

  app.patch<{ Params: IdParams; Body: UpdateDomainBody }>(
    '/v1/domains/:id',
    {
      schema: {
        tags,
        summary: 'Change tracking and unsubscribe settings (the defaults of emails sent from the domain)',
        params: idParams,
        body: updateDomainBody,
        response: withErrors({ 200: domainAnswer }, 404, 422),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      return domainView(await updateDomainSettings(deps, auth.accountId, request.params.id, request.body));
    },
  );

  app.post<{ Params: IdParams }>(
    '/v1/domains/:id/verify',
    {
      schema: {
        tags,
        summary: 'Look the records up in DNS',
        params: idParams,
        response: withErrors({ 200: domainAnswer }, 404),
      },
    },
    async (request) => {
      return domainView(await verifyDomain(deps, requireAuth(request).accountId, request.params.id));
    },
  );
}
