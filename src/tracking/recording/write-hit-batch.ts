import { classifyHit, type BotVerdict, type ScannerLists } from '../../core/bot-classification.js';
import type { Trx } from '../../store/schema.js';
import { lockEmailRows } from '../../store/dialects/row-locks.js';
import { recordEvents } from '../../store/events-repo.js';
import {
  findTrackedRecipients,
  recentEngagement,
  recipientsWithCountedOpen,
  type TrackedRecipient,
} from '../../store/tracking-repo.js';
import { followHoneypot } from './honeypot.js';
import { countHits, type ClassifiedHit, type StoredEngagement } from './counting-rules.js';
import { HONEYPOT_URL } from '../tokens.js';
import type { Hit, HitRules, RecipientCache } from '../hit.js';

/** The recipients the hits name, from the cache or in one query; a hit whose token names no recipient has none. */
async function resolveRecipients(
  trx: Trx,
  hits: readonly Hit[],
  cache?: RecipientCache,
): Promise<Array<TrackedRecipient | null>> {
  const found = new Map<string, TrackedRecipient>();
  const missing = new Set<string>();
  for (const h of hits) {
    const cached = cache?.get(h.recipientId);
    if (cached) found.set(h.recipientId, cached);
    else missing.add(h.recipientId);
  }
  for (const [id, r] of await findTrackedRecipients(trx, [...missing])) {
    found.set(id, r);
    // Once sent, what a hit needs of its recipient never changes.
    if (r.sentAt !== null) cache?.set(id, r);
  }
  return hits.map((h) => {
    const r = found.get(h.recipientId);
    return r && r.emailId === h.emailId ? r : null;
  });
}

const unique = (values: Iterable<string>): string[] => [...new Set(values)];

/** Records a run of hits with no honeypot among them: two or three reads, one insert, one update per email. */
async function recordRun(trx: Trx, rules: HitRules, run: readonly ClassifiedHit[]): Promise<BotVerdict[]> {
  if (run.length === 0) return [];
  await lockEmailRows(trx, unique(run.map((c) => c.hit.emailId)));
  const people = run.filter((c) => c.verdict.bot === '').map((c) => c.hit);
  let stored: StoredEngagement = { recent: [], withCountedOpen: new Set() };
  if (people.length > 0) {
    let firstAt = Infinity;
    let firstClickAt = Infinity;
    for (const h of people) {
      firstAt = Math.min(firstAt, h.at);
      if (h.kind === 'click') firstClickAt = Math.min(firstClickAt, h.at);
    }
    const recent = await recentEngagement(
      trx,
      unique(people.map((h) => h.recipientId)),
      firstAt - Math.max(rules.openCoalesceMs, rules.clickCoalesceMs),
      firstClickAt === Infinity ? null : firstClickAt - rules.honeypotWindowMs,
    );
    // Back-fill needs to know whether a clicking person's open was ever counted; the window usually says so already.
    const openInWindow = new Set(
      recent.filter((e) => e.event_type === 'open' && e.bot === '').map((e) => e.recipient_id),
    );
    const ask = unique(
      people.filter((h) => h.kind === 'click' && !openInWindow.has(h.recipientId)).map((h) => h.recipientId),
    );
    stored = { recent, withCountedOpen: await recipientsWithCountedOpen(trx, ask) };
  }
  const outcome = countHits(run, stored, rules);
  // The counted events move their emails' counters there, in this transaction.
  await recordEvents(trx, outcome.events);
  return outcome.verdicts;
}

/**
 * Records hits in the caller's transaction, in order: every hit is stored with `metadata.bot` and its
 * reason; only a person's first hit in a window moves the counters; following the honeypot marks that
 * visitor's clicks around it as a machine's and takes back what they counted; a counted click on a
 * recipient with no counted open back-fills the open (see countHits). The reads are made once for
 * the whole batch (split at each honeypot hit, which rewrites what came before it), so a hit costs a
 * share of a handful of statements. Returns each hit's verdict, null where the recipient does not exist.
 *
 * Several processes on one PostgreSQL: lockEmailRows makes batches that touch the same email take turns
 * (row locks in id order, held to the commit) and the reads come after it, so a batch sees every hit
 * another process committed on that email and a repeat is not counted twice. What remains: the
 * recipient (when its copy went out) is read before the lock and, once sent, cached for a minute, so a
 * hit racing the worker's record of the send is judged on the older state (a prefetch), as before
 * batching; and since the committer's other units in the same transaction may hold other email rows,
 * two processes can deadlock, which PostgreSQL breaks by aborting one (the committer runs it again).
 */
export async function writeHitBatch(
  trx: Trx,
  lists: ScannerLists,
  rules: HitRules,
  hits: readonly Hit[],
  cache?: RecipientCache,
): Promise<Array<BotVerdict | null>> {
  const recipients = await resolveRecipients(trx, hits, cache);
  const verdicts: Array<BotVerdict | null> = [];
  let run: ClassifiedHit[] = [];
  let runAt: number[] = [];
  const endRun = async () => {
    const decided = await recordRun(trx, rules, run);
    runAt.forEach((i, k) => (verdicts[i] = decided[k] ?? null));
    run = [];
    runAt = [];
  };
  for (const [i, h] of hits.entries()) {
    const recipient = recipients[i];
    if (!recipient) {
      verdicts[i] = null;
      continue;
    }
    const verdict = classifyHit(lists, {
      ua: h.ua,
      ip: h.ip,
      at: h.at,
      sentAt: recipient.sentAt,
      prefetchMs: rules.prefetchMs,
    });
    if (h.kind === 'click' && h.url === HONEYPOT_URL) {
      await endRun();
      verdicts[i] = await followHoneypot(trx, h, recipient, verdict, rules.honeypotWindowMs);
    } else {
      run.push({ hit: h, recipient, verdict });
      runAt.push(i);
    }
  }
  await endRun();
  return verdicts;
}
