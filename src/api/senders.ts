import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import { iso } from '../ids.js';
import { registerSender, removeSender, senders } from '../services/senders.js';
import type { SenderRow } from '../store/schema.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import {
  createdSender,
  createSenderRequest,
  deletedSender,
  senderList,
  senderParams,
  type CreateSenderBody,
} from './sender-schemas.js';
import { errorCase, withErrors, type IdParams } from './schemas.js';

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
        summary: 'Register a sender',
        description:
          "Registers a From address on one of the account's verified domains; emails may then be sent from it. " +
          'The address is stored in lower case. 422 `domain_not_verified` naming `email` when its domain is not ' +
          'added to the account or not verified yet, 422 `validation_error` for an address or name that is not ' +
          'valid, 409 `sender_exists` when it is already registered.',
        body: createSenderRequest,
        response: withErrors(
          { 201: createdSender },
          errorCase(
            errors.conflict('The sender hello@example.com is already registered.', 'sender_exists'),
            'Already registered.',
          ),
          errorCase(
            errors.domainNotVerified(
              'The domain example.com is not verified yet; publish its records and run ' +
                'POST /v1/domains/019d6210-385a-7392-af22-582a23b8c1e9/verify.',
            ),
            'Its domain is not verified, or a field is invalid.',
          ),
          errorCase(errors.validation([{ field: 'email', error: '"hello@example" is not a valid email address' }])),
        ),
      },
    },
    async (request, reply) => {
      const row = await registerSender(ctx.store, requireAuth(request).accountId, request.body);
      return reply.status(201).send(view(row));
    },
  );

  app.get(
    '/v1/senders',
    {
      schema: {
        tags,
        summary: 'List senders',
        description: "The account's registered From addresses, oldest first, with the domain each is on.",
        response: withErrors({ 200: senderList }),
      },
    },
    async (request) => {
      return (await senders(ctx.store, requireAuth(request).accountId)).map(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v1/senders/:id',
    {
      schema: {
        tags,
        summary: 'Delete a sender',
        description:
          'Deletes a sender: new emails from its address are refused. 404 for an id that is not one of the ' +
          "account's senders.",
        params: senderParams,
        response: withErrors(
          { 200: deletedSender },
          errorCase(errors.notFound('Sender'), 'No such sender in the account.'),
        ),
      },
    },
    async (request) => {
      await removeSender(ctx.store, requireAuth(request).accountId, request.params.id);
      ctx.senderCache.clear();
      return { id: request.params.id, deleted: true };
    },
  );
}
