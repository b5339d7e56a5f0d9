import type { EventType, SuppressionType } from '../model.js';

/** A stored suppression, as the rules read it. */
export interface Suppression {
  account_id: string;
  type: SuppressionType;
  key: string;
  /** The sending domain of an unsubscribe; '' for every domain. */
  domain: string;
  /** The tag of a tag-level unsubscribe; '' for all mail. */
  tag: string;
  created_at: number;
}

/** Where an email comes from, which decides the unsubscribes that apply to it. */
export interface SendingScope {
  accountId: string;
  /** The sending domain, lower-cased. */
  domain: string;
  tags: readonly string[];
}

/** Whether `s` stops mail of `scope`: bounces and complaints always; an unsubscribe for its domain (and tag). */
export function appliesTo(s: Suppression, scope: SendingScope): boolean {
  if (s.account_id !== scope.accountId) return false;
  if (s.type !== 'unsubscribe') return true;
  return s.domain === scope.domain && (s.tag === '' || scope.tags.includes(s.tag));
}

/** Which of several matches a rejection names: the widest list first, then the oldest. */
function rank(s: Suppression): number {
  if (s.type === 'bounce') return 0;
  if (s.type === 'complaint') return 1;
  return s.tag === '' ? 2 : 3;
}

/** The suppression that stops the address `key` in `scope`, or null when none does. */
export function suppressionFor(key: string, scope: SendingScope, rows: readonly Suppression[]): Suppression | null {
  let best: Suppression | null = null;
  for (const s of rows) {
    if (s.key !== key || !appliesTo(s, scope)) continue;
    if (!best || rank(s) < rank(best) || (rank(s) === rank(best) && s.created_at < best.created_at)) best = s;
  }
  return best;
}

/** `account` (bounces, complaints), `domain` or `tag` (unsubscribes): how widely a suppression stops mail. */
export type SuppressionScope = 'account' | 'domain' | 'tag';

function scopeOf(s: Suppression): SuppressionScope {
  if (s.type !== 'unsubscribe') return 'account';
  return s.tag === '' ? 'domain' : 'tag';
}

/** A sentence for a person: the list, the scope and the day ("bob@x.test is on the bounce list since 2026-12-03."). */
export function suppressionSentence(address: string, s: Suppression): string {
  const day = new Date(s.created_at).toISOString().slice(0, 10);
  const scope = {
    account: '',
    domain: ` for mail from ${s.domain}`,
    tag: ` for mail from ${s.domain} tagged "${s.tag}"`,
  }[scopeOf(s)];
  return `${address} is on the ${s.type} list${scope} since ${day}.`;
}

/** The metadata of a recipient's `rejected` event: which suppression stopped it. */
export function suppressionMetadata(s: Suppression): Record<string, unknown> {
  return {
    suppression: {
      type: s.type,
      scope: scopeOf(s),
      domain: s.domain || null,
      tag: s.tag || null,
      created_at: new Date(s.created_at).toISOString(),
    },
  };
}

/** A recipient stopped by a suppression: `rejected`, never attempted, with its event and the email's reason. */
export interface SuppressedDecision {
  status: 'rejected';
  nextAttemptAt: null;
  events: Array<{ type: Extract<EventType, 'rejected'>; metadata: Record<string, unknown> }>;
  /** The sentence added to the email's rejection_reason. */
  reason: string;
}

/** The decision for a recipient a suppression stops, at acceptance or just before delivery. */
export function decideSuppressed(address: string, s: Suppression): SuppressedDecision {
  return {
    status: 'rejected',
    nextAttemptAt: null,
    events: [{ type: 'rejected', metadata: suppressionMetadata(s) }],
    reason: suppressionSentence(address, s),
  };
}

/**
 * Whether a delivery decision's events say the address itself failed for good, which puts it on the
 * bounce list: a `bounced` event marked `hard: true` or, where `hard` is not given, `bounce_type: 'hard'`.
 * A soft bounce (still failing temporarily at the give-up age) never does.
 */
export function isHardBounce(events: ReadonlyArray<{ type: string; metadata: Record<string, unknown> }>): boolean {
  return events.some(
    (e) =>
      e.type === 'bounced' &&
      (typeof e.metadata.hard === 'boolean' ? e.metadata.hard : e.metadata.bounce_type === 'hard'),
  );
}
