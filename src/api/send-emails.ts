import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { errors } from '../core/errors.js';
import { checkedSendBody } from '../core/send-body-check.js';
import { checkBatchSize, sendBatch, sendOne, type Caller, type CheckedBatch } from '../services/send-emails.js';
import type { CheckedBody } from '../core/send-validation.js';
import { validateEmail } from '../services/validate-email.js';
import { requireAuth } from './auth.js';
import type { ApiContext } from './context.js';
import { schemaFieldErrors, splitByElement } from './schema-errors.js';
import { batchBodyValidation, sendBodyValidation } from './send-body-validator.js';
import { errorCase, withErrors } from './schemas.js';
import { acceptedEmail, batchAnswer, batchBody, sendRequest, validateAnswer } from './send-schemas.js';

const tags = ['Emails'];
const idempotencyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description:
        'Any 1–255 printable ASCII characters of yours, such as an order id: the same key and body within 24 hours ' +
        'get the first answer again, and nothing is created twice; the same key with another body is a 409.',
    },
  },
} as const;
/** The errors of sending, as the reference shows them. */
const sendErrors = [
  errorCase(
    errors.badRequest('The Idempotency-Key header must be 1–255 printable ASCII characters.', [
      { field: 'Idempotency-Key', error: 'is not a valid key' },
    ]),
    'The Idempotency-Key header is not a valid key.',
  ),
  errorCase(
    errors.planFeature('Scheduled sending (send_at) is not available on the free plan; it needs Starter or above.'),
    "Not on the account's plan: scheduling (send_at) or batches.",
  ),
  errorCase(errors.idempotencyMismatch(), 'The Idempotency-Key was used with another body.'),
  errorCase(
    errors.payloadTooLarge('Too large: attachments[0].content_base64 is larger than 24 MiB.', [
      { field: 'attachments[0].content_base64', error: 'is larger than 24 MiB' },
    ]),
    'An attachment, all attachments or html or text are over their size.',
  ),
  errorCase(
    errors.validation([{ field: 'to[0].email', error: 'is not a valid email address' }]),
    'A field is invalid, or the sender is not registered on a verified domain (sender_not_allowed).',
  ),
  errorCase(
    errors.senderNotAllowed(
      'from_.email',
      'news@example.com is not a registered sender; register it with POST /v1/senders first.',
    ),
  ),
  errorCase(
    errors.quotaExceeded('daily', 200, 3, 50_400),
    "Over the plan's recipients per UTC day or month (quota_exceeded; nothing is written).",
  ),
];

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
        description:
          'Checks the body, the sender (registered, on a verified domain), the plan and its quota, drops recipients ' +
          'on a suppression list, then stores the email, one copy per recipient and its `queued` (or `scheduled`) ' +
          'event in one transaction and answers 202: what was answered 202 is on disk, and goes out. Follow it ' +
          'with GET /v1/emails/{id}, events or webhooks.\n\n' +
          'Limits: 50 recipients in `to`, `cc` and `bcc` together; subject 998 characters; 100 custom headers; ' +
          '20 tags; 100 attachments, 24 MiB each and together (413 beyond); html and text 5 MiB each (413 beyond); ' +
          'request body 40 MiB. A body over a size is answered with those errors alone. `send_at` 1 minute to 30 ' +
          "days ahead, on Starter and above (403 otherwise). Each recipient counts against the plan's daily and " +
          'monthly quota (429 `quota_exceeded` with Retry-After; nothing is written). An Idempotency-Key makes ' +
          'retrying the request safe.',
        headers: idempotencyHeader,
        body: sendRequest,
        response: withErrors({ 202: acceptedEmail }, ...sendErrors),
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
        description:
          'An array of send bodies, each checked and accepted on its own: the accepted ones are stored together, in ' +
          'one transaction; a faulty one gets `{"id": null, "status": "error", "rejection_reason": "to[0].email: is ' +
          'not a valid email address"}` in `results` and the others go out. So the answer is 202 even when every ' +
          "email failed (`sent: 0`). 422 only for a body that is not a non-empty array, or one over the plan's " +
          'batch cap (Starter 25, Pro 50, Business 100), counted before any email is checked; 403 on the Free ' +
          'plan. The quota is checked for the accepted recipients together (429, nothing written).',
        headers: idempotencyHeader,
        body: batchBody,
        response: withErrors(
          { 202: batchAnswer },
          errorCase(
            errors.planFeature('Batch sending is not available on the free plan; it needs Starter or above.'),
            'The Free plan has no batch sending.',
          ),
          errorCase(errors.idempotencyMismatch(), 'The Idempotency-Key was used with another body.'),
          errorCase(
            errors.validation(
              [{ field: 'body', error: 'has 30 emails; the starter plan allows at most 25 per batch' }],
              'A batch on the starter plan holds at most 25 emails (batch cap 25); this one has 30.',
            ),
            "Not a non-empty array, or over the plan's batch cap.",
          ),
          errorCase(errors.quotaExceeded('daily', 200, 30, 50_400), "Over the plan's recipients per UTC day or month."),
        ),
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
        summary: 'Check an email without sending it',
        description:
          'The dry run: runs every check of send on the body (fields and limits, sender and domain, plan, quota, ' +
          'suppression lists) and answers 200 with what it found, writing and sending nothing. An invalid body is ' +
          'not an error here: each problem is an issue. `can_send` says whether send would accept it; `valid` ' +
          'also needs no recipient to be on a suppression list (such a recipient is dropped, not refused).',
        body: sendRequest,
        response: withErrors({ 200: validateAnswer }),
      },
    },
    async (request) => validateEmail(deps, caller(request), checkedBody(request)),
  );
}
