import type { FastifyInstance } from 'fastify';
import { recordWarnings } from '../core/domain-records.js';
import { errors } from '../core/errors.js';
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
  addedDomain,
  checkedDomain,
  createDomainRequest,
  deletedDomain,
  domainAnswer,
  domainList,
  domainParams,
  updatedDomain,
  updateDomainRequest,
  type CreateDomainBody,
  type UpdateDomainBody,
} from './domain-schemas.js';
import { errorCase, withErrors, type IdParams } from './schemas.js';

const notFound = errorCase(errors.notFound('Domain'), 'No such domain in the account.');
const tags = ['Domains'];

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
        summary: 'Add a sending domain',
        description:
          'Adds a domain to send from, with a fresh 2048-bit DKIM key, and answers with the DNS records to publish ' +
          'at your DNS provider: the DKIM key and SPF (both required), the return path MX (where bounces come ' +
          'back) and DMARC. Then run verify. The name is trimmed and lower-cased; one that is not a domain name ' +
          '(at least two labels) is a 422 naming `name`, one the account already has a 409 `domain_exists`. Tracking ' +
          'starts on (open and click, pixel at the bottom), unsubscribe links off: see PATCH.',
        body: createDomainRequest,
        response: withErrors(
          { 201: addedDomain },
          errorCase(errors.conflict('The domain example.com is already added.', 'domain_exists'), 'Already added.'),
          errorCase(
            errors.validation([{ field: 'name', error: '"example" is not a domain name' }]),
            'The name is not a domain name.',
          ),
        ),
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
      schema: {
        tags,
        summary: 'List domains',
        description: "The account's domains, oldest first, each with its records as last checked.",
        response: withErrors({ 200: domainList }),
      },
    },
    async (request) => {
      return (await listDomains(deps, requireAuth(request).accountId)).map(domainView);
    },
  );

  app.get<{ Params: IdParams }>(
    '/v1/domains/:id',
    {
      schema: {
        tags,
        summary: 'Get a domain',
        description: "One domain, with its records as last checked. 404 for an id that is not one of the account's.",
        params: domainParams,
        response: withErrors({ 200: domainAnswer }, notFound),
      },
    },
    async (request) => {
      return domainView(await getDomain(deps, requireAuth(request).accountId, request.params.id));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/domains/:id',
    {
      schema: {
        tags,
        summary: 'Delete a domain',
        description:
          'Deletes the domain and its senders: its addresses can no longer send. 404 for an id that is not one of ' +
          "the account's domains.",
        params: domainParams,
        response: withErrors({ 200: deletedDomain }, notFound),
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
        summary: "Change a domain's tracking and unsubscribe settings",
        description:
          'Sets the defaults of the emails sent from the domain (a send body can override each for its email): ' +
          '`open_tracking`, `click_tracking`, `pixel_position`, `tracking_host` and `unsubscribe_links`. Fields left ' +
          'out stay as they are. A `tracking_host` that is not a host name is a 422 naming it.',
        params: domainParams,
        body: updateDomainRequest,
        response: withErrors(
          { 200: updatedDomain },
          notFound,
          errorCase(
            errors.validation([{ field: 'tracking_host', error: 'must be a host name such as track.example.com' }]),
            'A field is invalid.',
          ),
        ),
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
        summary: "Verify a domain's DNS records",
        description:
          'Looks each record up in DNS now and answers with what it found: per record `status`, `found`, `matches` ' +
          'and `current_values`. The domain is verified, and may send, once its DKIM and SPF records match; when ' +
          'they do not it is failed, and when DNS did not answer it keeps its status. Run it again after changing ' +
          'your records (DNS changes can take a while to show). In sandbox mode every record passes without DNS.',
        params: domainParams,
        response: withErrors({ 200: checkedDomain }, notFound),
      },
    },
    async (request) => {
      return domainView(await verifyDomain(deps, requireAuth(request).accountId, request.params.id));
    },
  );
}
