import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { iso, newId } from '../core/ids.js';
import { isEmailAddress } from '../core/send-validation.js';
import { findDomainByName } from '../store/domains-repo.js';
import { deleteSender, findSender, insertSender, listSenders } from '../store/senders-repo.js';
import type { SenderRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import {
  createSenderBody,
  deletedBody,
  idParams,
  senderBody,
  withErrors,
  type CreateSenderBody,
  type IdParams,
} from './schemas.js';

const tags = ['Senders'];

function view(s: SenderRow) {
  return { id: s.id, email: s.email, name: s.name, domain_id: s.domain_id, created_at: iso(s.created_at) };
}

/** `/v1/senders`: register a sender address on a verified domain, list, delete. */
export function senderRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CreateSenderBody }>(
    '/v1/senders',
    {
      schema: {
        tags,
        summary: 'Register a sender on a verified domain',
        body: createSenderBody,
        response: withErrors({ 201: senderBody }, 409, 422),
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const body = request.body;
      const email = body.email.trim().toLowerCase();
      if (!isEmailAddress(email))
        throw errors.validation([
          { field: 'email', error: `"${body.email.slice(0, 100)}" is not a valid email address` },
        ]);
      const domainName = email.slice(email.lastIndexOf('@') + 1);
      const domain = await findDomainByName(ctx.store.db, auth.accountId, domainName);
      if (!domain)
        throw errors.domainNotVerified(
          `The domain ${domainName} is not added to this account; add it with POST /v1/domains.`,
        );
      if (domain.status !== 'verified')
        throw errors.domainNotVerified(
          `The domain ${domainName} is not verified yet; publish its records and run POST /v1/domains/${domain.id}/verify.`,
        );
      if (await findSender(ctx.store.db, auth.accountId, email))
        throw errors.conflict(`The sender ${email} is already registered.`, 'sender_exists');
      const row: SenderRow = {
        id: newId(),
        account_id: auth.accountId,
        domain_id: domain.id,
        email,
        name: body.name?.trim() || null,
        created_at: Date.now(),
      };
      await insertSender(ctx.store.db, row);
      return reply.status(201).send(view(row));
    },
  );

  app.get(
    '/v1/senders',
    { schema: { tags, summary: 'List senders', response: withErrors({ 200: { type: 'array', items: senderBody } }) } },
    async (request) => {
      const auth = requireAuth(request);
      return (await listSenders(ctx.store.db, auth.accountId)).map(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/senders/:id',
    { schema: { tags, summary: 'Delete a sender', params: idParams, response: withErrors({ 200: deletedBody }, 404) } },
    async (request) => {
      const auth = requireAuth(request);
      if (!(await deleteSender(ctx.store.db, auth.accountId, request.params.id))) throw errors.notFound('Sender');
      ctx.senderCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );
}
