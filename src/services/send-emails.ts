import { createHash } from 'node:crypto';
import type { Store } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { findIdempotentResponse } from '../store/idempotency-repo.js';
import {
  commitEmails,
  prepareEmail,
  type Accepted,
  type CommitResult,
  type PreparedEmail,
  type SenderCache,
} from './accept-email.js';
import { canonicalJson } from '../core/canonical-json.js';
import { AppError, errors, type FieldError } from '../core/errors.js';
import { limitsFor, secondsUntilQuotaReset, type PlanLimits } from '../core/plans.js';
import type { LimitOverrides, Plan } from '../model.js';
import { validateSendBody, type CheckedBody, type SendRequest } from '../core/send-validation.js';

/** What the send services need. */
export interface SendDeps {
  store: Store;
  committer: GroupCommitter;
  /** Sender look-ups of the last second (the send path's hottest read). */
  senderCache?: SenderCache;
}

/** The authenticated caller. */
export interface Caller {
  accountId: string;
  userId: string;
  plan: Plan;
  limits: LimitOverrides | null;
}

/** An HTTP-free answer: status code and JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * What identifies a request under its Idempotency-Key: SHA-256 of the route, a NUL and the body's canonical JSON,
 * so that the same body with its keys in another order (at any depth) is the same request. The canonical text of a
 * body whose keys were already in order is what JSON.stringify made of it before, so keys stored then still match.
 */
function requestHash(route: string, body: unknown): string {
  return createHash('sha256')
    .update(route)
    .update('\0')
    .update(body === undefined ? '' : canonicalJson(body))
    .digest('hex');
}

/** Replays the stored answer for a key, refuses a reused key with another body, or returns null to proceed. */
async function replayIdempotent(
  deps: SendDeps,
  caller: Caller,
  key: string | null,
  hash: string,
  now: number,
): Promise<Answer | null> {
  if (key === null) return null;
  if (!IDEMPOTENCY_KEY.test(key))
    throw errors.badRequest('The Idempotency-Key header must be 1–255 printable ASCII characters.', [
      { field: 'Idempotency-Key', error: 'is not a valid key' },
    ]);
  const stored = await findIdempotentResponse(deps.store.db, caller.accountId, key, now);
  if (!stored) return null;
  if (stored.requestHash !== hash) throw errors.idempotencyMismatch();
  return { status: stored.statusCode, body: stored.response };
}

function checkPlan(req: SendRequest, limits: PlanLimits, plan: string): void {
  if (req.sendAt !== null && !limits.scheduling)
    throw errors.planFeature(
      `Scheduled sending (send_at) is not available on the ${plan} plan; it needs Starter or above.`,
    );
}

async function commitAnswer(
  deps: SendDeps,
  caller: Caller,
  prepared: PreparedEmail[],
  limits: PlanLimits,
  answer: Answer,
  idem: { key: string | null; hash: string },
  now: number,
): Promise<Answer> {
  const result: CommitResult = await commitEmails(deps, caller, prepared, limits, {
    now,
    idempotency:
      idem.key === null
        ? undefined
        : { key: idem.key, requestHash: idem.hash, statusCode: answer.status, response: JSON.stringify(answer.body) },
  });
  if (result.kind === 'over_quota')
    throw errors.quotaExceeded(
      result.limit,
      result.max,
      prepared.reduce((n, p) => n + p.quota, 0),
      secondsUntilQuotaReset(result.limit, now),
    );
  if (result.kind === 'replay') {
    // A concurrent request with the same key committed first: answer as it did.
    const replay = await replayIdempotent(deps, caller, idem.key, idem.hash, now);
    if (replay) return replay;
    throw errors.conflict(
      'A request with this Idempotency-Key is still being processed; retry shortly.',
      'idempotency_key_in_use',
    );
  }
  return answer;
}

function validationError(errs: FieldError[], status: 413 | 422): AppError {
  return status === 413
    ? errors.payloadTooLarge(`Too large: ${errs.map((e) => `${e.field} ${e.error}`).join('; ')}.`, errs)
    : errors.validation(errs);
}

/** POST /v1/emails/: validate, check sender, plan and quota, write, answer 202. */
export async function sendOne(
  deps: SendDeps,
  caller: Caller,
  input: CheckedBody,
  idempotencyKey: string | null,
): Promise<Answer> {
  const now = Date.now();
  const hash = idempotencyKey === null ? '' : requestHash('send', input.body);
  const replay = await replayIdempotent(deps, caller, idempotencyKey, hash, now);
  if (replay) return replay;
  const checked = validateSendBody(input, now);
  if (!checked.ok) throw validationError(checked.errors, checked.status);
  const limits = limitsFor(caller.plan, caller.limits);
  checkPlan(checked.value, limits, caller.plan);
  const prepared = await prepareEmail(deps.store, caller, checked.value, { now, senderCache: deps.senderCache });
  return commitAnswer(
    deps,
    caller,
    [prepared],
    limits,
    { status: 202, body: prepared.accepted },
    { key: idempotencyKey, hash },
    now,
  );
}

/** One entry of a batch answer. */
type BatchResult =
  | { id: string; status: Accepted['status']; rejection_reason: string | null }
  | { id: null; status: 'error'; rejection_reason: string };

function describe(errs: FieldError[]): string {
  return errs.map((e) => `${e.field}: ${e.error}`).join('; ');
}

/** A batch body as it arrived: what the route's schema found wrong with the array itself, and each element with its own
 * errors. */
export interface CheckedBatch {
  envelopeErrors: FieldError[];
  items: CheckedBody[];
}

/**
 * A batch of `n` emails against the caller's plan: 403 on a plan without batch sending, 422 naming the
 * body over its batch cap. Cheap, so the route counts before the schema checks a single element.
 */
export function checkBatchSize(caller: Caller, n: number): void {
  const limits = limitsFor(caller.plan, caller.limits);
  if (limits.batchMax === null)
    throw errors.planFeature(`Batch sending is not available on the ${caller.plan} plan; it needs Starter or above.`);
  if (n > limits.batchMax)
    throw errors.validation(
      [
        {
          field: 'body',
          error: `has ${n} emails; the ${caller.plan} plan allows at most ${limits.batchMax} per batch`,
        },
      ],
      `A batch on the ${caller.plan} plan holds at most ${limits.batchMax} emails (batch cap ${limits.batchMax}); this one has ${n}.`,
    );
}

/** POST /v1/emails/batch: each email validated on its own; all accepted ones commit together. */
export async function sendBatch(
  deps: SendDeps,
  caller: Caller,
  batch: CheckedBatch,
  idempotencyKey: string | null,
): Promise<Answer> {
  const now = Date.now();
  const limits = limitsFor(caller.plan, caller.limits);
  const n = batch.items.length;
  checkBatchSize(caller, n);
  if (batch.envelopeErrors.length > 0) throw errors.validation(batch.envelopeErrors);
  if (n === 0) throw errors.validation([{ field: 'body', error: 'must contain at least one email' }]);
  const hash =
    idempotencyKey === null
      ? ''
      : requestHash(
          'batch',
          batch.items.map((item) => item.body),
        );
  const replay = await replayIdempotent(deps, caller, idempotencyKey, hash, now);
  if (replay) return replay;

  const results: BatchResult[] = [];
  const prepared: PreparedEmail[] = [];
  for (const item of batch.items) {
    const checked = validateSendBody(item, now);
    let failure: FieldError[] | null = null;
    if (!checked.ok) failure = checked.errors;
    else {
      try {
        checkPlan(checked.value, limits, caller.plan);
        const p = await prepareEmail(deps.store, caller, checked.value, { now, senderCache: deps.senderCache });
        prepared.push(p);
        results.push({ id: p.accepted.id, status: p.accepted.status, rejection_reason: p.accepted.rejection_reason });
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        failure = error.errors ?? [{ field: 'body', error: error.message }];
      }
    }
    if (failure) results.push({ id: null, status: 'error', rejection_reason: describe(failure) });
  }
  // Each email stands on its own, so a batch of only failures is still answered 202 with
  // its per-email results; it writes nothing but its Idempotency-Key's record.
  const answer = { status: 202, body: { total: n, sent: prepared.length, failed: n - prepared.length, results } };
  if (prepared.length === 0 && idempotencyKey === null) return answer;
  return commitAnswer(deps, caller, prepared, limits, answer, { key: idempotencyKey, hash }, now);
}

/** Re-sends an email's content to the given recipients as a new email linked by `retry_of_id`. */
export async function sendRetry(
  deps: SendDeps,
  caller: Caller,
  req: SendRequest,
  retryOfId: string,
  source: string,
): Promise<Answer> {
  const now = Date.now();
  const limits = limitsFor(caller.plan, caller.limits);
  const prepared = await prepareEmail(deps.store, caller, req, { now, retryOfId, source });
  return commitAnswer(
    deps,
    caller,
    [prepared],
    limits,
    { status: 202, body: prepared.accepted satisfies Accepted },
    { key: null, hash: '' },
    now,
  );
}
