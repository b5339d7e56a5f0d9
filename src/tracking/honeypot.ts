import type { Transaction } from 'kysely';
import type { BotKind, BotVerdict } from '../core/bot-classification.js';
import { newId } from '../core/ids.js';
import type { Database } from '../store/schema.js';
import {
  bumpEngagement,
  insertEngagement,
  lockEmails,
  recentEvents,
  recomputeFirstTimes,
  relabelAsBot,
  type TrackedRecipient,
} from '../store/tracking-repo.js';
import { engagementMeta, sameVisitor } from './event-meta.js';
import type { Hit } from './record-hit.js';

/** Who followed the honeypot, on which recipient's copy, and when. */
export interface Trapped {
  emailId: string;
  recipientId: string;
  ip: string;
  ua: string;
  at: number;
}

/**
 * Records a hit on the hidden honeypot link, which only machines follow: stored as a machine's click
 * (of the kind its agent or address names, `generic` otherwise), and what that visitor did in the
 * window before it is taken back. Rare, so it reads and writes row by row.
 */
export async function followHoneypot(
  trx: Transaction<Database>,
  h: Hit,
  recipient: TrackedRecipient,
  classified: BotVerdict,
  windowMs: number,
): Promise<BotVerdict> {
  const verdict: BotVerdict = { bot: classified.bot || 'generic', reason: 'honeypot' };
  await lockEmails(trx, [h.emailId]);
  await insertEngagement(trx, {
    id: newId(),
    email_id: h.emailId,
    account_id: recipient.accountId,
    recipient_id: h.recipientId,
    recipient: recipient.address,
    created_at: h.at,
    event_type: 'click',
    bot: verdict.bot,
    metadata: JSON.stringify({
      ua: h.ua,
      ip: h.ip,
      url: null,
      referer: h.referer,
      honeypot: true,
      bot: verdict.bot,
      reason: 'honeypot',
    }),
  });
  await takeBackVisitor(trx, h, h.at - windowMs, verdict.bot);
  return verdict;
}

/**
 * After a visitor followed the honeypot, what they did since `since` was a machine's too: relabels
 * their clicks and the opens those clicks back-filled as `bot`, takes back what those counted, and
 * moves `clicked_at`/`opened_at` to the first hit that still counts (null when none does).
 */
export async function takeBackVisitor(
  trx: Transaction<Database>,
  v: Trapped,
  since: number,
  bot: BotKind,
): Promise<void> {
  const clicks = (await recentEvents(trx, v, 'click', since, true, 200)).filter((e) =>
    sameVisitor(engagementMeta(e), v),
  );
  // A back-filled open carries the visitor and the time of the click that made it.
  const opens = (await recentEvents(trx, v, 'open', since, true, 200)).filter(
    (e) => engagementMeta(e).backfilled && sameVisitor(engagementMeta(e), v),
  );
  const events = [...clicks, ...opens];
  if (events.length === 0) return;
  await relabelAsBot(
    trx,
    events.map((e) => ({ id: e.id, metadata: JSON.stringify({ ...engagementMeta(e), bot, reason: 'honeypot' }) })),
    bot,
  );
  const countedClicks = clicks.filter((e) => e.counted === 1).length;
  const countedOpens = opens.filter((e) => e.counted === 1).length;
  if (countedClicks) await bumpEngagement(trx, v.emailId, 'click', -countedClicks, v.at);
  if (countedOpens) await bumpEngagement(trx, v.emailId, 'open', -countedOpens, v.at);
  await recomputeFirstTimes(trx, v.emailId);
}
