import type { WebhookDeliveryStatus } from '../model.js';

/** Default delays before each retry of a webhook delivery, in seconds: 5, 10 and 15 min, then 1, 2 and 4 h. */
export const DEFAULT_WEBHOOK_RETRY_SECONDS: readonly number[] = [300, 600, 900, 3600, 7200, 14400];

/** What an attempt got: an HTTP status, or none (timeout, refused connection, refused address). */
export interface WebhookAttemptOutcome {
  statusCode: number | null;
}

/** Where an attempt leaves its delivery, and whether it says the endpoint works. */
export interface WebhookAttemptDecision {
  status: WebhookDeliveryStatus;
  nextAttemptAt: number | null;
  /** 2xx, or a deliberate 406: the endpoint is there and answering. */
  endpointHealthy: boolean;
  /** A sentence for the delivery log when it is not a success. */
  error: string | null;
}

/**
 * Decides after attempt number `attempt` (1 for the first): 2xx is done; 406 Not Acceptable is the
 * receiver refusing it, done and not retried; anything else (another status, no answer) is retried
 * after `schedule[attempt - 1]` seconds, and given up (`failed`) once the schedule is used up.
 */
export function decideWebhookAttempt(
  outcome: WebhookAttemptOutcome,
  attempt: number,
  now: number,
  schedule: readonly number[],
): WebhookAttemptDecision {
  const code = outcome.statusCode;
  if (code !== null && code >= 200 && code < 300)
    return { status: 'succeeded', nextAttemptAt: null, endpointHealthy: true, error: null };
  if (code === 406)
    return {
      status: 'failed',
      nextAttemptAt: null,
      endpointHealthy: true,
      error: 'The endpoint answered 406 Not Acceptable: refused, not retried.',
    };
  const delay = schedule[attempt - 1];
  const error = code !== null ? `The endpoint answered ${code}.` : null;
  if (delay === undefined) return { status: 'failed', nextAttemptAt: null, endpointHealthy: false, error };
  return { status: 'pending', nextAttemptAt: now + delay * 1000, endpointHealthy: false, error };
}
