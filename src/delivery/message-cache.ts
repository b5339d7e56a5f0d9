import { MAX_COPY_BYTES } from '../core/body-limits.js';
import { distinctRecipients } from '../core/recipients.js';
import { sendingDomain } from '../core/suppression-address.js';
import type { SendingScope } from '../core/suppression-rules.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store/database.js';
import { getDomainById } from '../store/domains-repo.js';
import { loadEmailsForDelivery } from '../store/emails-repo.js';
import type { AttachmentRow, DomainRow, EmailRow, RecipientRow } from '../store/schema.js';
import {
  isTracked,
  trackedBodies,
  trackedTemplate,
  trackingPlan,
  type TrackedTemplate,
  type TrackingPlan,
} from '../tracking/links/tracked-bodies.js';
import {
  unsubscribeCopy,
  unsubscribePlan,
  unsubscribesPerRecipient,
  type UnsubscribePlan,
} from '../tracking/links/unsubscribe-links.js';
import type { TrackingTokens, UnsubscribeTokens } from '../tracking/tokens.js';
import { dkimKey, type DkimKey } from './dkim.js';
import { renderMime } from './render-mime.js';

interface Rendered {
  email: EmailRow;
  domain: DomainRow;
  key: DkimKey;
  attachments: AttachmentRow[];
  plan: TrackingPlan;
  unsubscribe: UnsubscribePlan;
  /** The message every recipient gets, when the email is not tracked; null means render per recipient. */
  shared: Buffer | null;
  /** For tracked emails: the bodies rewritten once, to be filled with each recipient's URLs. */
  template: TrackedTemplate | null;
  /** How many recipients the email has (to, cc and bcc, an address given twice counted once, as accepted). */
  recipientCount: number;
  /** Why a copy could not be sent, once one came out over MAX_COPY_BYTES: the others would too. */
  tooLarge: string | null;
}

const MiB = 1024 * 1024;

/** Why a rendered copy is not sent (larger than MAX_COPY_BYTES), or null when it may be. */
function copyTooLarge(raw: Buffer): string | null {
  if (raw.length <= MAX_COPY_BYTES) return null;
  return `the message is ${(raw.length / MiB).toFixed(1)} MiB once encoded; a copy may be at most ${MAX_COPY_BYTES / MiB} MiB`;
}

/** How many recipients an email was accepted with. */
function recipientCount(email: EmailRow): number {
  return distinctRecipients(email.to_json, email.cc_json ?? [], email.bcc_json ?? []).length;
}

/**
 * The worker's messages: loads the emails of claimed recipients in two queries, renders each email
 * once (per recipient only the tracked bodies differ), and forgets an email after its last claimed
 * recipient is settled.
 */
export class MessageCache {
  private readonly rendered = new Map<string, Promise<Rendered>>();
  /** Claimed recipients per email not yet settled: a rendered message is dropped when it reaches 0. */
  private readonly pendingByEmail = new Map<string, number>();
  /** Each domain's DKIM key, parsed, with the sealed value it was opened from (a rotation changes it). */
  private readonly keys = new Map<string, { sealed: string; key: DkimKey }>();
  /** Whose each loaded email is, from which domain, with which tags: what its suppressions are looked up by. */
  private readonly scopes = new Map<string, SendingScope>();

  constructor(
    private readonly store: Store,
    private readonly opts: {
      /** Signs the tracking URLs of each recipient's copy. */
      tokens: TrackingTokens;
      /** Signs the unsubscribe URLs and mailto addresses of each recipient's copy. */
      unsubscribeTokens: UnsubscribeTokens;
      /** Base of tracking URLs when a domain has no tracking host. */
      publicUrl: string;
      /** Opens the domains' DKIM keys, stored sealed. */
      secrets: SecretBox;
    },
  ) {}

  /** Loads the claimed recipients' emails in two queries and renders each email once. */
  async preload(recipients: RecipientRow[]): Promise<void> {
    for (const r of recipients) this.pendingByEmail.set(r.email_id, (this.pendingByEmail.get(r.email_id) ?? 0) + 1);
    const missing = [...new Set(recipients.map((r) => r.email_id))].filter((id) => !this.rendered.has(id));
    if (missing.length === 0) return;
    const loaded = await loadEmailsForDelivery(this.store.db, missing);
    for (const id of missing) {
      const entry = loaded.get(id);
      if (entry) {
        const e = entry.email;
        this.scopes.set(id, { accountId: e.account_id, domain: sendingDomain(e.from_email), tags: e.tags_json ?? [] });
      }
      const render = (async (): Promise<Rendered> => {
        if (!entry) throw new Error('the email no longer exists');
        const found = entry.email.domain_id ? await this.domain(entry.email.domain_id) : undefined;
        if (!found?.domain || !found.key) throw new Error('the sending domain was deleted');
        const plan = trackingPlan(entry.email, found.domain, this.opts.publicUrl);
        const unsubscribe = unsubscribePlan(entry.email, found.domain, plan.base);
        // Tracked emails differ per recipient (their own pixel and link tokens), and so do those with unsubscribe
        // links (their own unsubscribe tokens); the others are rendered once.
        const tracked = isTracked(plan, entry.email);
        const perRecipient = tracked || unsubscribesPerRecipient(unsubscribe);
        const whole = perRecipient ? null : await renderMime(entry.email, entry.attachments, found.key);
        const tooLarge = whole ? copyTooLarge(whole) : null;
        const template = tracked ? await trackedTemplate(entry.email, plan) : null;
        return {
          email: entry.email,
          domain: found.domain,
          key: found.key,
          attachments: entry.attachments,
          plan,
          unsubscribe,
          shared: tooLarge ? null : whole,
          template,
          recipientCount: recipientCount(entry.email),
          tooLarge,
        };
      })();
      render.catch(() => undefined);
      this.rendered.set(id, render);
    }
  }

  /**
   * A domain (read afresh for each claimed batch, so changed settings apply to the next emails) and
   * its DKIM key, opened and parsed once per key rather than per message.
   */
  private async domain(id: string): Promise<{ domain: DomainRow | undefined; key: DkimKey | null }> {
    const domain = await getDomainById(this.store.db, id);
    if (!domain) return { domain, key: null };
    const cached = this.keys.get(id);
    if (cached && cached.sealed === domain.dkim_private_key && cached.key.selector === domain.dkim_selector)
      return { domain, key: cached.key };
    const pem = this.opts.secrets.open(domain.dkim_private_key, 'dkim-private-key');
    const key = dkimKey(domain.name, domain.dkim_selector, pem);
    this.keys.set(id, { sealed: domain.dkim_private_key, key });
    return { domain, key };
  }

  /** The sending scope of a loaded email (undefined when it no longer exists). */
  scopeOf(emailId: string): SendingScope | undefined {
    return this.scopes.get(emailId);
  }

  /**
   * One recipient's envelope sender (its VERP address) and signed message; throws when it cannot be
   * rendered, or comes out larger than MAX_COPY_BYTES (and then throws for the email's other copies at once).
   */
  async messageFor(r: RecipientRow): Promise<{ from: string; raw: Buffer; onlyRecipient: boolean }> {
    const rendered = await (this.rendered.get(r.email_id) ?? Promise.reject(new Error('the email was not loaded')));
    if (rendered.tooLarge) throw new Error(rendered.tooLarge);
    const raw = rendered.shared ?? (await this.copyFor(rendered, r.id));
    rendered.tooLarge = copyTooLarge(raw);
    if (rendered.tooLarge) throw new Error(rendered.tooLarge);
    return {
      from: `bounce+${r.verp_token}@${rendered.domain.return_path_host}`,
      raw,
      onlyRecipient: rendered.recipientCount === 1,
    };
  }

  /** One recipient's own copy: its tracked bodies, then its unsubscribe links. */
  private async copyFor(rendered: Rendered, recipientId: string): Promise<Buffer> {
    const { email } = rendered;
    const bodies = rendered.template
      ? await trackedBodies(email, rendered.plan, rendered.template, this.opts.tokens, recipientId)
      : { html: email.html_body, text: email.text_body };
    const copy = unsubscribeCopy(email, rendered.unsubscribe, this.opts.unsubscribeTokens, recipientId, bodies);
    return renderMime(email, rendered.attachments, rendered.key, copy.bodies, copy.headers);
  }

  /** One claimed recipient is done with (recorded, skipped or lost): the email's rendering is dropped after its last.
   * */
  settle(r: RecipientRow): void {
    const left = (this.pendingByEmail.get(r.email_id) ?? 1) - 1;
    if (left > 0) this.pendingByEmail.set(r.email_id, left);
    else {
      this.pendingByEmail.delete(r.email_id);
      this.rendered.delete(r.email_id);
      this.scopes.delete(r.email_id);
    }
  }
}
