import { isEmailAddress } from './send-validation.js';

/** The longest email a dashboard user may have (RFC 5321's path limit). */
export const MAX_USER_EMAIL_CHARS = 254;
/** Dashboard passwords: at least this long… */
export const MIN_PASSWORD_CHARS = 8;
/** …and at most this long (scrypt would take more, but nobody types it). */
export const MAX_PASSWORD_CHARS = 1024;

/**
 * What identifies a dashboard user by email: the address without blanks around it, lower-cased whole (one
 * address is one user, whatever its letter case). Null when it is not a mailbox address.
 */
export function userEmailKey(email: string): string | null {
  const trimmed = email.trim();
  if (trimmed.length > MAX_USER_EMAIL_CHARS || !isEmailAddress(trimmed)) return null;
  return trimmed.toLowerCase();
}
