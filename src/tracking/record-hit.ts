import type { Transaction } from 'kysely';
import { classifyHit, type BotVerdict, type ScannerLists } from '../core/bot-classification.js';
import { newId } from '../core/ids.js';
import type { TtlCache } from '../core/ttl-cache.js';
import type { Database } from '../store/schema.js';
import { bumpEngagement, findTrackedRecipient, hasHumanOpen, insertEngagement, recentCountedEvents, recentEvents } from '../store/tracking-repo.js';
import { engagementMeta as meta, sameVisitor, type EngagementMeta as Meta } from './event-meta.js';
import { takeBackVisitor } from './honeypot.js';
import { HONEYPOT_URL } from './plan.js';

/** One pixel load or link click, as the endpoint saw it. */
export interface Hit {
  kind: 'open' | 'click';
  emailId: string;
  recipientId: string;
  url: string | null;
  ua: string;
  ip: string;
  referer: string | null;
  at: number;
}

/** Recipients recently hit, by id. */
export type RecipientCache = TtlCache<NonNullable<Awaited<ReturnType<typeof findTrackedRecipient>>>>;

/** The windows of the rules, in ms (configuration with documented defaults). */
export interface HitRules {
  prefetchMs: number;
  openCoalesceMs: number;
  clickCoalesceMs: number;
  honeypotWindowMs: number;
}

/**
 * Records a hit in the caller's transaction: every hit is stored with `metadata.bot` and its reason;
 * only a person's first hit in a window moves the counters (the window runs from the last counted hit,
 * so a repeat does not stretch it); following the honeypot marks that visitor's clicks around it as a
 * machine's; a counted click on a recipient with no counted open back-fills the open. Returns the
 * stored event's verdict (tests and logs use it).
 */
export async function recordHit(trx: Transaction<Database>, lists: ScannerLists, rules: HitRules, h: Hit, recipients?: RecipientCache): Promise<BotVerdict | null> {
  let recipient = recipients?.get(h.recipientId);
  if (!recipient) {
    recipient = await findTrackedRecipient(trx, h.emailId, h.recipientId);
    if (!recipient) return null;
    // Once sent, what a hit needs of its recipient never changes.
    if (recipient.sentAt !== null) recipients?.set(h.recipientId, recipient);
  }
  let verdict = classifyHit(lists, { ua: h.ua, ip: h.ip, at: h.at, sentAt: recipient.sentAt, prefetchMs: rules.prefetchMs });
  const base = { email_id: h.emailId, account_id: recipient.accountId, recipient_id: h.recipientId, recipient: recipient.address, created_at: h.at };
  const m: Meta = { ua: h.ua, ip: h.ip, ...(h.kind === 'click' ? { url: h.url, referer: h.referer } as Meta : {}) };

  if (h.kind === 'click' && h.url === HONEYPOT_URL) {
    verdict = { bot: verdict.bot || 'generic', reason: 'honeypot' };
    await insertEngagement(trx, { ...base, id: newId(), event_type: 'click', bot: verdict.bot, metadata: JSON.stringify({ ...m, url: null, honeypot: true, bot: verdict.bot, reason: 'honeypot' }) });
    await takeBackVisitor(trx, h, h.at - rules.honeypotWindowMs, verdict.bot);
    return verdict;
  }

  if (verdict.bot === '' && h.kind === 'click') {
    const machines = await recentEvents(trx, h.recipientId, 'click', h.at - rules.honeypotWindowMs, false);
    if (machines.some((e) => meta(e).honeypot && sameVisitor(meta(e), h))) verdict = { bot: 'generic', reason: 'honeypot' };
  }
  let coalesced = false;
  if (verdict.bot === '') {
    const windowMs = h.kind === 'open' ? rules.openCoalesceMs : rules.clickCoalesceMs;
    const people = await recentCountedEvents(trx, h.recipientId, h.kind, h.at - windowMs, h.kind === 'open' ? 1 : 50);
    coalesced = people.some((e) => h.kind === 'open' || meta(e).url === h.url);
  }
  await insertEngagement(trx, {
    ...base, id: newId(), event_type: h.kind, bot: verdict.bot,
    metadata: JSON.stringify({ ...m, bot: verdict.bot, reason: verdict.reason, ...(coalesced ? { coalesced: true } : {}) }),
  });
  if (verdict.bot !== '' || coalesced) return verdict;
  await bumpEngagement(trx, h.emailId, h.kind, 1, h.at);
  if (h.kind === 'click' && !(await hasHumanOpen(trx, h.recipientId))) {
    // A scanner may have warmed the image cache, so the person's open never reached us: the click proves it.
    await insertEngagement(trx, { ...base, id: newId(), event_type: 'open', bot: '', metadata: JSON.stringify({ ua: h.ua, ip: h.ip, bot: '', reason: '', backfilled: true }) });
    await bumpEngagement(trx, h.emailId, 'open', 1, h.at);
  }
  return verdict;
}
