import type { RecipientRow } from '../store/schema.js';

/** At most this many recipients of one email and domain go back-to-back over one connection; more are spread over
 * several. */
const GROUP_MAX = 50;

/**
 * Splits claimed recipients into groups of one email and one recipient domain, in claim order.
 *
 * One SMTP transaction per recipient is deliberate: each recipient's copy differs (its own VERP return
 * path, so a bounce names the recipient; its own open and click tokens), so it cannot share a DATA with
 * another. What same-domain recipients of one email do share is the connection: a group is sent
 * back-to-back over one reused connection, as a single multi-recipient transaction would have been.
 */
export function groupForConnection(rows: RecipientRow[]): RecipientRow[][] {
  const groups = new Map<string, RecipientRow[][]>();
  const out: RecipientRow[][] = [];
  for (const r of rows) {
    const key = `${r.email_id} ${r.domain.toLowerCase()}`;
    const list = groups.get(key) ?? [];
    let last = list[list.length - 1];
    if (!last || last.length >= GROUP_MAX) {
      last = [];
      list.push(last);
      out.push(last);
      groups.set(key, list);
    }
    last.push(r);
  }
  return out;
}
