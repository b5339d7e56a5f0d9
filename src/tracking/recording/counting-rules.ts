import type { BotVerdict } from '../../core/bot-classification.js';
import { newId } from '../../ids.js';
import type { BotKind } from '../../model.js';
import type { NewEvent } from '../../store/schema.js';
import type { EngagementRow, TrackedRecipient } from '../../store/tracking-repo.js';
import { sameVisitor, type EngagementMeta } from './event-meta.js';
import type { Hit, HitRules } from '../hit.js';

/** A hit whose recipient was found, with the verdict of its user agent, address and timing. */
export interface ClassifiedHit {
  hit: Hit;
  recipient: TrackedRecipient;
  verdict: BotVerdict;
}

/** What the store holds of the run's recipients, read before the run (see writeHitBatch). */
export interface StoredEngagement {
  /** Counted opens and clicks since the largest coalescing window, and clicks by machines since the honeypot window. */
  recent: readonly EngagementRow[];
  /** Recipients known to have a counted open, whenever it was. */
  withCountedOpen: ReadonlySet<string>;
}

/**
 * The outcome of a run: the events to store (those that count are marked `counted`, and move their
 * email's counters when recorded) and the verdict of each hit.
 */
export interface RunOutcome {
  events: NewEvent[];
  verdicts: BotVerdict[];
}

interface Counted {
  type: string;
  at: number;
  url: string | null | undefined;
}

interface RecipientState {
  /** Counted opens and clicks: those stored, then those of this run, in order. */
  counted: Counted[];
  /** Where and when this recipient's honeypot trap was followed. */
  traps: Array<{ ip?: string; ua?: string; at: number }>;
  hasCountedOpen: boolean;
}

/** Each recipient's state, built from what the store holds, created empty on first use. */
function recipientStates(stored: StoredEngagement): (recipientId: string) => RecipientState {
  const states = new Map<string, RecipientState>();
  const state = (id: string) => {
    let s = states.get(id);
    if (!s) states.set(id, (s = { counted: [], traps: [], hasCountedOpen: stored.withCountedOpen.has(id) }));
    return s;
  };
  for (const e of stored.recent) {
    const s = state(e.recipient_id);
    const m = (e.metadata ?? {}) as EngagementMeta;
    if (e.bot !== '') {
      if (m.honeypot) s.traps.push({ ip: m.ip, ua: m.ua, at: e.created_at });
      continue;
    }
    s.counted.push({ type: e.event_type, at: e.created_at, url: m.url });
    if (e.event_type === 'open') s.hasCountedOpen = true;
  }
  return state;
}

const str = JSON.stringify;

/**
 * A hit's event metadata (EngagementMeta) as JSON, written out: every hit is an event, and building an
 * object to stringify was most of the rules' time. Keys in the order they have always been written in.
 */
function hitMetadata(h: Hit, verdict: BotVerdict, coalesced: boolean): string {
  const link = h.kind === 'click' ? `,"url":${str(h.url)},"referer":${str(h.referer)}` : '';
  return `{"ua":${str(h.ua)},"ip":${str(h.ip)}${link},"bot":${str(verdict.bot)},"reason":${str(verdict.reason)}${coalesced ? ',"coalesced":true' : ''}}`;
}

/** The event row of a hit (or of the open a click back-fills), with its columns in one order. */
function eventRow(
  h: Hit,
  recipient: TrackedRecipient,
  type: 'open' | 'click',
  metadata: string,
  bot: BotKind,
  counted: boolean,
): NewEvent {
  return {
    id: newId(),
    email_id: h.emailId,
    account_id: recipient.accountId,
    recipient_id: h.recipientId,
    recipient: recipient.address,
    event_type: type,
    metadata,
    bot,
    created_at: h.at,
    counted: counted ? 1 : 0,
  };
}

/**
 * Applies the counting rules to a run of hits (none of them the honeypot), in order, in memory:
 * a person's click after their visitor followed the honeypot is a machine's; only a person's first hit
 * in a window moves the counters (the window runs from the last counted hit, so a repeat does not
 * stretch it; clicks coalesce per URL); a counted click on a recipient with no counted open back-fills
 * the open. `stored` holds what the store knew before the run; the run's own counted hits join it as
 * they are decided.
 */
export function countHits(run: readonly ClassifiedHit[], stored: StoredEngagement, rules: HitRules): RunOutcome {
  const state = recipientStates(stored);
  const events: NewEvent[] = [];
  const verdicts: BotVerdict[] = [];

  for (const { hit: h, recipient, verdict: classified } of run) {
    let verdict = classified;
    const s = verdict.bot === '' ? state(h.recipientId) : null;
    if (s && h.kind === 'click' && s.traps.some((t) => t.at >= h.at - rules.honeypotWindowMs && sameVisitor(t, h))) {
      verdict = { bot: 'generic', reason: 'honeypot' };
    }
    let coalesced = false;
    if (s && verdict.bot === '') {
      const since = h.at - (h.kind === 'open' ? rules.openCoalesceMs : rules.clickCoalesceMs);
      coalesced = s.counted.some((c) => c.type === h.kind && c.at >= since && (h.kind === 'open' || c.url === h.url));
    }
    const counted = s !== null && verdict.bot === '' && !coalesced;
    events.push(eventRow(h, recipient, h.kind, hitMetadata(h, verdict, coalesced), verdict.bot, counted));
    verdicts.push(verdict);
    if (!s || !counted) continue;
    s.counted.push({ type: h.kind, at: h.at, url: h.url });
    if (h.kind === 'open') {
      s.hasCountedOpen = true;
    } else {
      if (!s.hasCountedOpen) {
        // A scanner may have warmed the image cache, so the person's open never reached us: the click proves it.
        events.push(
          eventRow(
            h,
            recipient,
            'open',
            JSON.stringify({ ua: h.ua, ip: h.ip, bot: '', reason: '', backfilled: true }),
            '',
            true,
          ),
        );
        s.counted.push({ type: 'open', at: h.at, url: null });
        s.hasCountedOpen = true;
      }
    }
  }
  return { events, verdicts };
}
