import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { domainStatusOf, expectedRecords, isDomainName, type DomainRecord } from '../core/domain-records.js';
import { errors } from '../core/errors.js';
import { iso, newId, randomToken } from '../core/ids.js';
import { checkRecords, sandboxRecords } from '../dns/verify-domain.js';
import {
  deleteDomain,
  findDomainByName,
  getDomain,
  insertDomain,
  listDomains,
  saveVerification,
  updateDomainSettings,
} from '../store/domains-repo.js';
import type { DomainRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import {
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

const generateRsa = promisify(generateKeyPair);

/** The API shape of a domain. */
export function domainView(d: DomainRow) {
  return {
    id: d.id,
    name: d.name,
    status: d.status,
    records: (JSON.parse(d.records) as DomainRecord[]).map(({ required: _required, ...r }) => r),
    dkim_selector: d.dkim_selector,
    return_path_host: d.return_path_host,
    open_tracking: d.open_tracking === 1,
    click_tracking: d.click_tracking === 1,
    pixel_position: d.pixel_position,
    tracking_host: d.tracking_host,
    created_at: iso(d.created_at),
    verified_at: iso(d.verified_at),
    last_checked_at: iso(d.last_checked_at),
  };
}

/** `/v1/domains`: add a domain (fresh 2048-bit DKIM key), list, get, delete, verify in DNS. */
export function domainRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CreateDomainBody }>(
    '/v1/domains',
    {
      schema: {
        tags,
        summary: 'Add a sending domain (fresh 2048-bit DKIM key)',
        body: createDomainBody,
        response: withErrors({ 201: domainBody }, 409, 422),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const raw = request.body.name;
      const name = raw.trim().toLowerCase().replace(/\.$/, '');
      if (!isDomainName(name))
        throw errors.validation([{ field: 'name', error: `"${raw.slice(0, 100)}" is not a domain name` }]);
      if (await findDomainByName(ctx.store.db, auth.accountId, name))
        throw errors.conflict(`The domain ${name} is already added.`, 'domain_exists');

      const { publicKey, privateKey } = await generateRsa('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const selector = `tfm${randomToken(6).toLowerCase()}`;
      const returnPathHost = `tfm-bounces.${name}`;
      const records = expectedRecords({
        name,
        selector,
        publicKeyBase64: publicKey.toString('base64'),
        returnPathHost,
        mtaHost: ctx.config.heloName,
      });
      const now = Date.now();
      const row: DomainRow = {
        id: newId(),
        account_id: auth.accountId,
        name,
        status: 'pending',
        dkim_selector: selector,
        dkim_private_key: privateKey,
        dkim_public_key: publicKey.toString('base64'),
        return_path_host: returnPathHost,
        records: JSON.stringify(records),
        open_tracking: 1,
        click_tracking: 1,
        tracking_host: null,
        pixel_position: 'bottom',
        created_at: now,
        updated_at: now,
        verified_at: null,
        last_checked_at: null,
      };
      try {
        await insertDomain(ctx.store.db, row);
      } catch (error) {
        // Two concurrent requests for the same name: the unique constraint decides.
        if (await findDomainByName(ctx.store.db, auth.accountId, name))
          throw errors.conflict(`The domain ${name} is already added.`, 'domain_exists');
        throw error;
      }
      return reply.status(201).send(domainView(row));
    },
  );

  app.get(
    '/v1/domains',
    { schema: { tags, summary: 'List domains', response: withErrors({ 200: { type: 'array', items: domainBody } }) } },
    async (request) => {
      const auth = requireAuth(request);
      return (await listDomains(ctx.store.db, auth.accountId)).map(domainView);
    },
  );

  app.get<{ Params: IdParams }>(
    '/v1/domains/:id',
    { schema: { tags, summary: 'Get a domain', params: idParams, response: withErrors({ 200: domainBody }, 404) } },
    async (request) => {
      const auth = requireAuth(request);
      const domain = await getDomain(ctx.store.db, auth.accountId, request.params.id);
      if (!domain) throw errors.notFound('Domain');
      return domainView(domain);
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
      const auth = requireAuth(request);
      if (!(await deleteDomain(ctx.store.db, auth.accountId, request.params.id))) throw errors.notFound('Domain');
      ctx.senderCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );

  app.patch<{ Params: IdParams; Body: UpdateDomainBody }>(
    '/v1/domains/:id',
    {
      schema: {
        tags,
        summary: 'Change tracking settings (the defaults of emails sent from the domain)',
        params: idParams,
        body: updateDomainBody,
        response: withErrors({ 200: domainBody }, 404, 422),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const domain = await getDomain(ctx.store.db, auth.accountId, request.params.id);
      if (!domain) throw errors.notFound('Domain');
      const b = request.body;
      if (b.tracking_host !== undefined && b.tracking_host !== null && !isDomainName(b.tracking_host.toLowerCase())) {
        throw errors.validation([{ field: 'tracking_host', error: 'must be a host name such as track.example.com' }]);
      }
      const changes = {
        ...(b.open_tracking !== undefined ? { open_tracking: b.open_tracking ? 1 : 0 } : {}),
        ...(b.click_tracking !== undefined ? { click_tracking: b.click_tracking ? 1 : 0 } : {}),
        ...(b.pixel_position !== undefined ? { pixel_position: b.pixel_position } : {}),
        ...(b.tracking_host !== undefined ? { tracking_host: b.tracking_host?.toLowerCase() ?? null } : {}),
      };
      await updateDomainSettings(ctx.store.db, domain.id, { ...changes, updated_at: Date.now() });
      return domainView({ ...domain, ...changes });
    },
  );

  app.post<{ Params: IdParams }>(
    '/v1/domains/:id/verify',
    {
      schema: {
        tags,
        summary: 'Look the records up in DNS',
        params: idParams,
        response: withErrors({ 200: domainBody }, 404),
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const domain = await getDomain(ctx.store.db, auth.accountId, request.params.id);
      if (!domain) throw errors.notFound('Domain');
      const expected = JSON.parse(domain.records) as DomainRecord[];
      const checked = ctx.config.sandbox
        ? sandboxRecords(expected)
        : await checkRecords(ctx.resolver, expected, ctx.config.heloName);
      const status = domainStatusOf(checked, domain.status);
      const now = Date.now();
      const verifiedAt = status === 'verified' ? (domain.verified_at ?? now) : null;
      await saveVerification(ctx.store.db, domain.id, { status, records: JSON.stringify(checked), now, verifiedAt });
      ctx.senderCache.clear();
      return domainView({
        ...domain,
        status,
        records: JSON.stringify(checked),
        last_checked_at: now,
        verified_at: verifiedAt,
        updated_at: now,
      });
    },
  );
}
