import type { BotVerdict } from '../../core/bot-classification.js';
import { newId } from '../../ids.js';
import type { BotKind } from '../../model.js';
import { lockEmailRows } from '../../store/dialects/row-locks.js';
import { recordEvents, type Relabel } from '../../store/events-repo.js';
import type { Trx } from '../../store/schema.js';
import { recentEvents, type TrackedRecipient } from '../../store/tracking-repo.js';
import type { Hit } from '../hit.js';
import { engagementMeta, sameVisitor } from './event-meta.js';

/** Who followed the honeypot, on which recipient's copy, and when. */
interface Trapped {
  emailId: string;
  recipientId: string;
  ip: string;
  ua: string;
}

/**
 * Records a hit on the hidden honeypot link, which only machines follow: stored as a machine's click
 * (of the kind its agent or address names, `generic` otherwise), and what that visitor did in the
 * window before it is relabelled as a machine's too. Rare, so it reads row by row.
 */
export async function followHoneypot(
  trx: Trx,
  h: Hit,
  recipient: TrackedRecipient,
  classified: BotVerdict,
  windowMs: number,
): Promise<BotVerdict> {
  const bot = classified.bot || 'generic';
  await lockEmailRows(trx, [h.emailId]);
  const relabels = await visitorRelabels(trx, h, h.at - windowMs, bot);
  const trap = {
    id: newId(),
    email_id: h.emailId,
    account_id: recipient.accountId,
    recipient_id: h.recipientId,
    recipient: recipient.address,
    created_at: h.at,
    event_type: 'click' as const,
    bot,
    metadata: JSON.stringify({
      ua: h.ua,
      ip: h.ip,
      url: null,
      referer: h.referer,
      honeypot: true,
      bot,
      reason: 'honeypot',
    }),
  };
  // recordEvents takes back what the relabelled events counted and moves the first times.
  await recordEvents(trx, [trap], relabels);
  return { bot, reason: 'honeypot' };
}

/**
 * After a visitor followed the honeypot, what they did since `since` was a machine's too: their
 * clicks, and the opens those clicks back-filled, relabelled as `bot`.
 */
async function visitorRelabels(trx: Trx, v: Trapped, since: number, bot: Exclude<BotKind, ''>): Promise<Relabel[]> {
  const clicks = (await recentEvents(trx, v, 'click', since, true, 200)).filter((e) =>
    sameVisitor(engagementMeta(e), v),
  );
  // A back-filled open carries the visitor and the time of the click that made it.
  const opens = (await recentEvents(trx, v, 'open', since, true, 200)).filter(
    (e) => engagementMeta(e).backfilled && sameVisitor(engagementMeta(e), v),
  );
  return [...clicks, ...opens].map((event) => ({
    event,
    bot,
    metadata: JSON.stringify({ ...engagementMeta(event), bot, reason: 'honeypot' }),
  }));
}
