import { isEmailAddress } from './send-validation.js';

/**
 * The address as suppressions compare it: the local part exactly (RFC 5321 lets a mailbox tell
 * `Bob` from `bob`), '@', the domain lower-cased (domain names are case-blind). Null when `address`
 * is not a mailbox address. Blanks around it are ignored.
 */
export function suppressionKey(address: string): string | null {
  const trimmed = address.trim();
  if (!isEmailAddress(trimmed)) return null;
  const at = trimmed.lastIndexOf('@');
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

/** The domain an email is sent from, as unsubscribes name it: its From address's domain, lower-cased. */
export function sendingDomain(fromEmail: string): string {
  return fromEmail.slice(fromEmail.lastIndexOf('@') + 1).toLowerCase();
}
