import type { FastifyInstance } from 'fastify';
import { iso } from '../ids.js';
import { registerSender, removeSender, senders } from '../services/senders.js';
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
      const row = await registerSender(ctx.store, requireAuth(request).accountId, request.body);
      return reply.status(201).send(view(row));
    },
  );

  app.get(
    '/v1/senders',
    { schema: { tags, summary: 'List senders', response: withErrors({ 200: { type: 'array', items: senderBody } }) } },
    async (request) => {
      return (await senders(ctx.store, requireAuth(request).accountId)).map(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/senders/:id',
    { schema: { tags, summary: 'Delete a sender', params: idParams, response: withErrors({ 200: deletedBody }, 404) } },
    async (request) => {
      await removeSender(ctx.store, requireAuth(request).accountId, request.params.id);
      ctx.senderCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );
}
