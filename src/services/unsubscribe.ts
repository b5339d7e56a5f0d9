import { sendingDomain, suppressionKey } from '../core/suppression-address.js';
import type { Store } from '../store/database.js';
import { recordEvents } from '../store/events-repo.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { deleteSuppressions } from '../store/suppressions-repo.js';
import { findUnsubscribeCopy, type UnsubscribeCopy } from '../store/unsubscribe-repo.js';
import type { UnsubscribeTarget } from '../tracking/tokens.js';
import { newEvent } from './new-event.js';
import { addSuppression } from './suppressions.js';

/** What the unsubscribe use cases need. */
export interface UnsubscribeDeps {
  store: Store;
  committer: GroupCommitter;
}

/** How the unsubscribe came: a mailbox provider's one-click POST, our page's button, or mail to the mailto address. */
export type UnsubscribeVia = 'one_click' | 'page' | 'mailto';

/** What an unsubscribe applies to: all of a sending domain's mail to the address, or its mail with one tag. */
export interface UnsubscribeScope {
  scope: 'domain' | 'tag';
  address: string;
  domain: string;
  /** '' for the whole domain. */
  tag: string;
}

function scopeOf(copy: UnsubscribeCopy, target: UnsubscribeTarget): UnsubscribeScope {
  // A tag-level link in an email without tags stops the domain's mail: the only scope it can name.
  const tag = target.tagOnly ? (copy.tags[0] ?? '') : '';
  return { scope: tag ? 'tag' : 'domain', address: copy.address, domain: sendingDomain(copy.fromEmail), tag };
}

/** What a token would unsubscribe from, changing nothing (the page a GET shows); undefined when the email is gone. */
export async function unsubscribeScope(
  deps: UnsubscribeDeps,
  target: UnsubscribeTarget,
): Promise<UnsubscribeScope | undefined> {
  const copy = await findUnsubscribeCopy(deps.store.db, target.recipientId);
  return copy && scopeOf(copy, target);
}

/**
 * Unsubscribes the recipient a token names, in one transaction: an `unsubscribe` event on the email and
 * recipient (one per request, so a repeated click shows in the timeline) and the suppression (added once:
 * a second unsubscribe finds it there). Undefined when the email no longer exists.
 */
export async function unsubscribe(
  deps: UnsubscribeDeps,
  target: UnsubscribeTarget,
  via: UnsubscribeVia,
): Promise<UnsubscribeScope | undefined> {
  const copy = await findUnsubscribeCopy(deps.store.db, target.recipientId);
  if (!copy) return undefined;
  const s = scopeOf(copy, target);
  const now = Date.now();
  await deps.committer.run(async (trx) => {
    const subject = {
      emailId: copy.emailId,
      accountId: copy.accountId,
      recipient: { id: copy.recipientId, address: copy.address },
    };
    const metadata = { scope: s.scope, domain: s.domain, tag: s.tag || null, via };
    await recordEvents(trx, [newEvent(subject, 'unsubscribe', metadata, now)]);
    await addSuppression(trx, {
      accountId: copy.accountId,
      type: 'unsubscribe',
      address: copy.address,
      domain: s.domain,
      tag: s.tag,
      reason: `unsubscribed (${via.replace('_', '-')})`,
      sourceEmailId: copy.emailId,
      now,
    });
  }, copy.accountId);
  return s;
}

/** Takes back the unsubscribe a token made ("subscribe again"): removes that one suppression. */
export async function resubscribe(
  deps: UnsubscribeDeps,
  target: UnsubscribeTarget,
): Promise<UnsubscribeScope | undefined> {
  const copy = await findUnsubscribeCopy(deps.store.db, target.recipientId);
  const key = copy && suppressionKey(copy.address);
  if (!copy || !key) return undefined;
  const s = scopeOf(copy, target);
  await deps.committer.run(
    (trx) => deleteSuppressions(trx, copy.accountId, { type: 'unsubscribe', key, domain: s.domain, tag: s.tag }),
    copy.accountId,
  );
  return s;
}
