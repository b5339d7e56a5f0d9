import type { BounceReason, EventType, RecipientStatus, SmtpReply } from '../model.js';
import { classifyBounce } from './classify-bounce.js';
import type { AttemptOutcome } from './smtp-outcome.js';
import { nextRetryAt, retryDelayMs, type RetryPolicy } from './retry-policy.js';

/** An event to record for a recipient. */
export interface PlannedEvent {
  type: Extract<EventType, 'sent' | 'delivered' | 'deferred' | 'bounced' | 'failed'>;
  metadata: Record<string, unknown>;
}

/** The recipient's next state after an attempt. */
export interface Decision {
  status: Extract<RecipientStatus, 'sent' | 'delivered' | 'deferred' | 'bounced' | 'failed'>;
  nextAttemptAt: number | null;
  events: PlannedEvent[];
}

function replyMetadata(reply: SmtpReply, attempt: number): Record<string, unknown> {
  const m: Record<string, unknown> = {
    smtp_code: reply.code,
    smtp_response: reply.text,
    dsn: reply.dsn,
    relay: reply.host,
    attempt,
  };
  if (reply.ip) m.ip = reply.ip;
  if (reply.captured) m.captured = true;
  return m;
}

/**
 * Applies the retry policy to an attempt's outcome. `attempt` is this attempt's number (1-based);
 * `firstAttemptAt` is when the recipient was first tried (null on the first attempt: now). The 72 h
 * give-up clock starts at the first attempt, not at acceptance, so a scheduled email gets its full 72 h.
 * `confirmsDelivery` is true when the accepting server is the recipient's own (direct MX, sandbox).
 */
export function decideAttempt(
  outcome: AttemptOutcome,
  c: { attempt: number; firstAttemptAt: number | null; now: number; policy: RetryPolicy; confirmsDelivery: boolean },
): Decision {
  const meta = replyMetadata(outcome.reply, c.attempt);
  switch (outcome.kind) {
    case 'accepted':
      return c.confirmsDelivery
        ? {
            status: 'delivered',
            nextAttemptAt: null,
            events: [
              { type: 'sent', metadata: meta },
              { type: 'delivered', metadata: meta },
            ],
          }
        : { status: 'sent', nextAttemptAt: null, events: [{ type: 'sent', metadata: meta }] };
    case 'permanent': {
      // A 5xx is final but not always the address's fault: the bounce rules say which (a full mailbox,
      // a reputation block or an SPF failure bounce soft and do not suppress). Either way no retry.
      const { reason, hard, status } = classifyBounce({ ...outcome.reply, seen: true });
      return {
        status: 'bounced',
        nextAttemptAt: null,
        events: [
          {
            type: 'bounced',
            metadata: { ...meta, dsn: outcome.reply.dsn ?? status, reason, hard, bounce_type: hard ? 'hard' : 'soft' },
          },
        ],
      };
    }
    case 'config_fault': {
      if (c.attempt >= c.policy.configFaultMaxAttempts) {
        return {
          status: 'failed',
          nextAttemptAt: null,
          events: [{ type: 'failed', metadata: { ...meta, reason: 'configuration', attempts: c.attempt } }],
        };
      }
      const next = c.now + retryDelayMs(c.policy, c.attempt);
      return {
        status: 'deferred',
        nextAttemptAt: next,
        events: [
          {
            type: 'deferred',
            metadata: { ...meta, reason: 'configuration', next_attempt_at: new Date(next).toISOString() },
          },
        ],
      };
    }
    case 'temporary': {
      const next = nextRetryAt(c.policy, {
        attempts: c.attempt,
        firstAttemptAt: c.firstAttemptAt ?? c.now,
        now: c.now,
      });
      if (next === null) {
        return {
          status: 'bounced',
          nextAttemptAt: null,
          events: [
            {
              type: 'bounced',
              metadata: {
                ...meta,
                dsn: outcome.reply.dsn ?? '4.4.7',
                reason: 'expired' satisfies BounceReason,
                hard: false,
                bounce_type: 'soft',
                description: `still failing temporarily after ${Math.round(c.policy.maxDeferMs / 3_600_000)} h`,
              },
            },
          ],
        };
      }
      return {
        status: 'deferred',
        nextAttemptAt: next,
        events: [{ type: 'deferred', metadata: { ...meta, next_attempt_at: new Date(next).toISOString() } }],
      };
    }
  }
}

/** A message we could not render: our own fault, nothing went out, and retrying will not help. */
export function decideRenderFailure(reason: string, attempt: number): Decision {
  return { status: 'failed', nextAttemptAt: null, events: [{ type: 'failed', metadata: { reason, attempt } }] };
}
