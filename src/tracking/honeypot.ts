import type { Transaction } from 'kysely';
import type { BotKind } from '../core/bot-classification.js';
import type { Database } from '../store/schema.js';
import { bumpEngagement, recentEvents, recomputeFirstTimes, relabelAsBot } from '../store/tracking-repo.js';
import { engagementMeta, sameVisitor } from './event-meta.js';

/** Who followed the honeypot, on which recipient's copy, and when. */
export interface Trapped {
  emailId: string;
  recipientId: string;
  ip: string;
  ua: string;
  at: number;
}

/**
 * After a visitor followed the honeypot, what they did since `since` was a machine's too: relabels
 * their clicks and the opens those clicks back-filled as `bot`, takes back what those counted, and
 * moves `clicked_at`/`opened_at` to the first hit that still counts (null when none does).
 */
export async function takeBackVisitor(trx: Transaction<Database>, v: Trapped, since: number, bot: BotKind): Promise<void> {
  const clicks = (await recentEvents(trx, v.recipientId, 'click', since, true, 200)).filter((e) => sameVisitor(engagementMeta(e), v));
  // A back-filled open carries the visitor and the time of the click that made it.
  const opens = (await recentEvents(trx, v.recipientId, 'open', since, true, 200)).filter((e) => engagementMeta(e).backfilled && sameVisitor(engagementMeta(e), v));
  const events = [...clicks, ...opens];
  if (events.length === 0) return;
  await relabelAsBot(trx, events.map((e) => ({ id: e.id, metadata: JSON.stringify({ ...engagementMeta(e), bot, reason: 'honeypot' }) })), bot);
  const countedClicks = clicks.filter((e) => !engagementMeta(e).coalesced).length;
  if (countedClicks) await bumpEngagement(trx, v.emailId, 'click', -countedClicks, v.at);
  if (opens.length) await bumpEngagement(trx, v.emailId, 'open', -opens.length, v.at);
  await recomputeFirstTimes(trx, v.emailId);
}
