import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendBatch, sendOne, type Caller } from '../core/send-emails.js';
import { validateEmail } from '../core/validate-email.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { acceptedBody, batchAnswer, sendEmailBody, validateAnswer, withErrors } from './schemas.js';

const tags = ['Emails'];
// Send bodies are checked by core/send-validation.ts (see schemas.ts); the schema documents them.
const documentOnly = { validatorCompiler: () => () => true };
const idempotencyHeader = { type: 'object', properties: { 'idempotency-key': { type: 'string', description: 'Same key and body within 24 h: the first answer again, nothing created.' } } } as const;

function caller(request: FastifyRequest): Caller {
  const a = requireAuth(request);
  return { accountId: a.accountId, userId: a.userId, plan: a.plan, limits: a.limits };
}

function idempotencyKey(request: FastifyRequest): string | null {
  const v = request.headers['idempotency-key'];
  return typeof v === 'string' ? v : null;
}

/** POST /v1/emails/, /v1/emails/batch and the /v1/emails/validate dry run. */
export function sendEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const deps = { store: ctx.store, committer: ctx.acceptCommitter, senderCache: ctx.senderCache };
  app.post('/v1/emails', { ...documentOnly, schema: { tags, summary: 'Send an email', headers: idempotencyHeader, body: sendEmailBody, response: withErrors({ 202: acceptedBody }, 403, 409, 413, 422, 429) } }, async (request, reply) => {
    const answer = await sendOne(deps, caller(request), request.body, idempotencyKey(request));
    ctx.onQueued();
    return reply.status(answer.status).send(answer.body);
  });

  app.post('/v1/emails/batch', { ...documentOnly, schema: { tags, summary: 'Send a batch of emails', headers: idempotencyHeader, body: { type: 'array', items: sendEmailBody }, response: withErrors({ 202: batchAnswer }, 403, 409, 422, 429) } }, async (request, reply) => {
    const answer = await sendBatch(deps, caller(request), request.body, idempotencyKey(request));
    ctx.onQueued();
    return reply.status(answer.status).send(answer.body);
  });

  app.post('/v1/emails/validate', { ...documentOnly, schema: { tags, summary: 'Dry run: would this email send?', body: sendEmailBody, response: withErrors({ 200: validateAnswer }) } }, async (request) => validateEmail(deps, caller(request), request.body));
}
