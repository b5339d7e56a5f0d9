import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { checkedSendBody } from '../core/send-body-check.js';
import { checkBatchSize, sendBatch, sendOne, type Caller, type CheckedBatch } from '../services/send-emails.js';
import type { CheckedBody } from '../core/send-validation.js';
import { validateEmail } from '../services/validate-email.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { schemaFieldErrors, splitByElement } from './schema-errors.js';
import { batchBodyValidation, sendBodyValidation } from './send-body-validator.js';
import { acceptedBody, batchAnswer, batchBody, sendEmailBody, validateAnswer, withErrors } from './schemas.js';

const tags = ['Emails'];
const idempotencyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description: 'Same key and body within 24 h: the first answer again, nothing created.',
    },
  },
} as const;

// Fastify's Ajv checks every send body against its route schema, through core/send-body-check.ts (as
// `taifa send` does); `attachValidation` hands the verdict to the handler instead of answering at once,
// so that authentication and the rate limit (onRequest hooks) still answer first, a batch keeps each
// email's errors to that email, the dry run reports them as issues, and core adds the rules a schema
// cannot express to the same error list. Sizes are counted before Ajv checks a body's parts.
const schemaVerdict = { attachValidation: true } as const;

function caller(request: FastifyRequest): Caller {
  const a = requireAuth(request);
  return { accountId: a.accountId, userId: a.userId, plan: a.plan, limits: a.limits };
}

function idempotencyKey(request: FastifyRequest): string | null {
  const v = request.headers['idempotency-key'];
  return typeof v === 'string' ? v : null;
}

/** The schema's errors in the body; a failure in another part (headers) is answered as usual. */
function bodySchemaErrors(request: FastifyRequest): FastifySchemaValidationError[] {
  const failure = request.validationError;
  if (!failure) return [];
  if (failure.validationContext !== 'body') throw failure;
  return failure.validation as FastifySchemaValidationError[];
}

function checkedBody(request: FastifyRequest): CheckedBody {
  return checkedSendBody(request.body, bodySchemaErrors(request));
}

function checkedBatch(request: FastifyRequest): CheckedBatch {
  const { envelope, elements } = splitByElement(bodySchemaErrors(request));
  const body = request.body;
  return {
    envelopeErrors: schemaFieldErrors(envelope, body),
    items: Array.isArray(body) ? body.map((item: unknown, i) => checkedSendBody(item, elements.get(i) ?? [])) : [],
  };
}

/** POST /v1/emails/, /v1/emails/batch and the /v1/emails/validate dry run. */
export function sendEmailRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const deps = { store: ctx.store, committer: ctx.acceptCommitter, senderCache: ctx.senderCache };
  app.post(
    '/v1/emails/',
    {
      ...schemaVerdict,
      ...sendBodyValidation,
      schema: {
        tags,
        summary: 'Send an email',
        headers: idempotencyHeader,
        body: sendEmailBody,
        response: withErrors({ 202: acceptedBody }, 403, 409, 413, 422, 429),
      },
    },
    async (request, reply) => {
      const answer = await sendOne(deps, caller(request), checkedBody(request), idempotencyKey(request));
      ctx.onQueued();
      return reply.status(answer.status).send(answer.body);
    },
  );

  app.post(
    '/v1/emails/batch',
    {
      ...schemaVerdict,
      ...batchBodyValidation,
      // Counted before the schema checks every email: a batch over the plan's cap is refused at once.
      preValidation: async (request) => {
        if (Array.isArray(request.body)) checkBatchSize(caller(request), request.body.length);
      },
      schema: {
        tags,
        summary: 'Send a batch of emails',
        headers: idempotencyHeader,
        body: batchBody,
        response: withErrors({ 202: batchAnswer }, 403, 409, 422, 429),
      },
    },
    async (request, reply) => {
      const answer = await sendBatch(deps, caller(request), checkedBatch(request), idempotencyKey(request));
      ctx.onQueued();
      return reply.status(answer.status).send(answer.body);
    },
  );

  app.post(
    '/v1/emails/validate',
    {
      ...schemaVerdict,
      ...sendBodyValidation,
      schema: {
        tags,
        summary: 'Dry run: would this email send?',
        body: sendEmailBody,
        response: withErrors({ 200: validateAnswer }),
      },
    },
    async (request) => validateEmail(deps, caller(request), checkedBody(request)),
  );
}
