import type { Address } from '../model.js';

/** A recipient as delivered: its field and mailbox. */
export interface Recipient {
  kind: 'to' | 'cc' | 'bcc';
  address: Address;
}

/** The recipients an email is delivered to: to, then cc, then bcc, an address given twice only once. */
export function distinctRecipients(
  to: readonly Address[],
  cc: readonly Address[],
  bcc: readonly Address[],
): Recipient[] {
  const seen = new Set<string>();
  const out: Recipient[] = [];
  for (const [kind, list] of [
    ['to', to],
    ['cc', cc],
    ['bcc', bcc],
  ] as const) {
    for (const a of list) {
      const key = a.email.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ kind, address: a });
    }
  }
  return out;
}
