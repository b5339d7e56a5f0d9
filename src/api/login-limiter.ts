import { clientOf } from './failed-auth-limiter.js';
import { FailureWindows } from './failure-windows.js';

/** Failed logins allowed per client address, and per email, within a window. */
const MAX_FAILURES = 10;
/** The window, in ms: 15 minutes from the first failure. */
const WINDOW_MS = 15 * 60_000;

/**
 * Limits failed logins, in this process's memory, per client address (an IPv6 /64) and per email: after 10 failures
 * within 15 minutes of the first, further logins from that address, or to that email from anywhere, get 429 until
 * the window ends, without the password being checked. A login that succeeds forgets its email's failures (not its
 * address's, which may be guessing at other accounts).
 */
export class LoginLimiter {
  private readonly byAddress = new FailureWindows(MAX_FAILURES, WINDOW_MS);
  private readonly byEmail = new FailureWindows(MAX_FAILURES, WINDOW_MS);

  /** Seconds until a login from `ip` to `emailKey` may be tried, or 0 when it may be now. */
  blockedForSeconds(ip: string, emailKey: string, now = Date.now()): number {
    return Math.max(this.byAddress.blockedForSeconds(clientOf(ip), now), this.byEmail.blockedForSeconds(emailKey, now));
  }

  /** Counts a failed login from `ip` to `emailKey`. */
  recordFailure(ip: string, emailKey: string, now = Date.now()): void {
    this.byAddress.recordFailure(clientOf(ip), now);
    this.byEmail.recordFailure(emailKey, now);
  }

  /** A login to `emailKey` succeeded. */
  recordSuccess(emailKey: string): void {
    this.byEmail.forget(emailKey);
  }
}
