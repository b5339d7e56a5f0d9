import type { BotKind } from '../model.js';

/** A verdict with its reason (`ua`, `ip`, `prefetch`, `honeypot`, or '' for people). */
export interface BotVerdict {
  bot: BotKind;
  reason: string;
}

/** The scanner lists (loaded from the data files in tracking/data). */
export interface ScannerLists {
  /** Category of a known scanner user agent, or null. */
  agent(ua: string): BotKind | null;
  /** Category of a known scanner address, or null. */
  address(ip: string): BotKind | null;
}

/**
 * Classifies a hit by who made it: a user agent naming a known scanner or proxy, then a known address
 * range (Apple's proxy sends a bare "Mozilla/5.0", which the generic lists also flag, so the address
 * names it better), then a generic bot or library user agent, then timing (a hit within `prefetchMs`
 * of the message being sent is a prefetch: no person opens mail that fast). `sentAt` null means we have
 * not recorded the copy as sent: the worker records the send in a group commit after the receiving
 * server said 250, and a gateway that scans at acceptance can hit us before that commit, so a hit on a
 * copy not yet recorded as sent (or stamped before the recorded time) is a prefetch too.
 */
export function classifyHit(
  lists: ScannerLists,
  h: { ua: string; ip: string; at: number; sentAt: number | null; prefetchMs: number },
): BotVerdict {
  const byAgent = lists.agent(h.ua);
  if (byAgent && byAgent !== 'generic') return { bot: byAgent, reason: 'ua' };
  const byAddress = lists.address(h.ip);
  if (byAddress) return { bot: byAddress, reason: 'ip' };
  if (byAgent) return { bot: byAgent, reason: 'ua' };
  if (h.sentAt === null || h.at - h.sentAt < h.prefetchMs) return { bot: 'generic', reason: 'prefetch' };
  return { bot: '', reason: '' };
}
