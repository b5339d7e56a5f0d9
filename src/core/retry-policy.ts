/**
 * Delays between delivery attempts after a temporary failure, in seconds (like Postfix's
 * backoff, but with a quick first retry: greylisting usually clears within a minute).
 * The last entry repeats until the give-up age (72 h by default) is reached; the attempt that would
 * land past it is moved to the give-up deadline itself, so the last try happens at 72 h, not up to 4 h early.
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
  /** How long after its first attempt a recipient may keep failing temporarily before it bounces (soft), in ms. */
  maxDeferMs: number;
  configFaultMaxAttempts: number;
}

/** Delay before attempt number `attempts + 1`, given `attempts` already made (≥ 1), in ms. */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  const s = policy.scheduleSeconds;
  const seconds = s[Math.min(Math.max(attempts, 1), s.length) - 1] ?? 60;
  return seconds * 1000;
}

/**
 * When to try a temporarily failing recipient next, or null to give up: the scheduled delay, clamped
 * to the deadline (`firstAttemptAt + maxDeferMs`) so that one last attempt happens at the deadline;
 * an attempt made at or after the deadline that still fails temporarily is the last one.
 */
export function nextRetryAt(
  policy: RetryPolicy,
  c: { attempts: number; firstAttemptAt: number; now: number },
): number | null {
  const deadline = c.firstAttemptAt + policy.maxDeferMs;
  if (c.now >= deadline) return null;
  return Math.min(c.now + retryDelayMs(policy, c.attempts), deadline);
}
