/**
 * Delays between delivery attempts after a temporary failure, in seconds (like Postfix's
 * backoff, but with a quick first retry: greylisting usually clears within a minute).
 * The last entry repeats until the give-up age (72 h by default) is reached.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: number[] = [
  45, // greylisting retry
  5 * 60,
  15 * 60,
  30 * 60,
  60 * 60,
  2 * 60 * 60,
  4 * 60 * 60, // then every 4 hours
];

export interface RetryPolicy {
  scheduleSeconds: readonly number[];
  maxDeferMs: number;
  configFaultMaxAttempts: number;
}

/** Delay before attempt number `attempts + 1`, given `attempts` already made (≥ 1), in ms. */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  const s = policy.scheduleSeconds;
  const seconds = s[Math.min(Math.max(attempts, 1), s.length) - 1] ?? 60;
  return seconds * 1000;
}

