import { setImmediate as nextTurn } from 'node:timers/promises';
import { MAX_LINKS } from '../../core/body-limits.js';
import type { DomainRow, EmailRow } from '../../store/schema.js';
import { ownLinks } from './own-links.js';
import { rewriteHtml } from './rewrite-html.js';
import { rewriteText } from './rewrite-text.js';
import { clickTokenChars, HONEYPOT_URL, MAX_TOKEN_CHARS, type TrackingTokens } from '../tokens.js';

/** What tracking one email gets: the per-email `tracking` object over the domain's settings. */
export interface TrackingPlan {
  open: boolean;
  click: boolean | 'htmlonly';
  pixelPosition: 'top' | 'bottom';
  /** Base of the tracking URLs: the domain's tracking host, or TAIFA_PUBLIC_URL. */
  base: string;
  /** Our unsubscribe endpoints under either base: links below them are never tracked. */
  unsubscribeBases: string[];
}

/** Resolves an email's tracking against its domain. */
export function trackingPlan(email: EmailRow, domain: DomainRow, publicUrl: string): TrackingPlan {
  const o = email.tracking_json ?? {};
  const scheme = publicUrl.startsWith('https:') ? 'https' : 'http';
  const base = domain.tracking_host ? `${scheme}://${domain.tracking_host}` : publicUrl;
  return {
    open: o.open ?? domain.open_tracking === 1,
    click: o.click ?? domain.click_tracking === 1,
    pixelPosition: o.pixel_position ?? (domain.pixel_position === 'top' ? 'top' : 'bottom'),
    base,
    unsubscribeBases: [...new Set([`${base}/v1/unsubscribe`, `${publicUrl}/v1/unsubscribe`])],
  };
}

/** Whether an email's bodies differ per recipient (so it is rendered for each). */
export function isTracked(plan: TrackingPlan, email: EmailRow): boolean {
  return (
    (email.html_body !== null && (plan.open || plan.click !== false)) ||
    (email.text_body !== null && plan.click === true)
  );
}

/**
 * An email's bodies rewritten once, with a placeholder where each recipient's signed URL goes: the HTML
 * is tokenised once per email, not once per copy (that parse was a fifth of the worker's CPU).
 */
export interface TrackedTemplate {
  html: string | null;
  text: string | null;
  /** The destinations of the placeholders, by index. */
  links: string[];
}

// Control characters cannot occur in a URL we write, so they cannot collide with the email's own text.
// eslint-disable-next-line no-control-regex -- the placeholders are made of them, on purpose
const SLOT = /\u0001(\d+|O)\u0002/g;

/** Rewrites an email's bodies for tracking, leaving placeholders for the per-recipient URLs. */
export async function trackedTemplate(email: EmailRow, plan: TrackingPlan): Promise<TrackedTemplate> {
  const links: string[] = [];
  // A link too long to sign within what the click endpoint accepts stays as written: better untracked than a 404.
  // So do links past MAX_LINKS (the honeypot's slot comes first): only emails accepted before that cap have them.
  const slot = (url: string) =>
    clickTokenChars(url) > MAX_TOKEN_CHARS || links.length > MAX_LINKS ? null : `\u0001${links.push(url) - 1}\u0002`;
  const keep = ownLinks(plan.unsubscribeBases, email.headers_json ?? {});
  const html =
    email.html_body === null
      ? null
      : await rewriteHtml(email.html_body, {
          clickUrl: plan.click !== false ? slot : null,
          pixelUrl: plan.open ? '\u0001O\u0002' : null,
          pixelPosition: plan.pixelPosition,
          keep,
          honeypotUrl: plan.click !== false ? slot(HONEYPOT_URL) : null,
        });
  const text =
    email.text_body === null || plan.click !== true ? email.text_body : rewriteText(email.text_body, slot, keep);
  return { html, text, links };
}

/** Signed URLs filled in between turns of the event loop: a few hundred HMACs take well under a millisecond. */
const SLOTS_PER_TURN = 200;

/** The signed URL of one placeholder in one recipient's copy: `O` the open pixel, a number the link of that index. */
function slotUrl(
  email: EmailRow,
  plan: TrackingPlan,
  template: TrackedTemplate,
  tokens: TrackingTokens,
  recipientId: string,
  which: string,
): string {
  return which === 'O'
    ? `${plan.base}/v1/track/open/${tokens.sign({ kind: 'open', emailId: email.id, recipientId })}`
    : `${plan.base}/v1/track/click/${tokens.sign({ kind: 'click', emailId: email.id, recipientId, url: template.links[Number(which)] ?? '' })}`;
}

/** One recipient's tracking URLs, as trackedBodies writes them into that recipient's copy. */
export interface RecipientTracking {
  /** The open pixel's URL, or null when the copy has no pixel. */
  pixelUrl: string | null;
  /**
   * Each tracked link of the copy once, in the order of its bodies (HTML, then text): where it goes and
   * the URL the copy has for it. The honeypot link is left out: it is there for machines only.
   */
  links: Array<{ url: string; trackedUrl: string }>;
}

/** The tracking URLs of one recipient's copy, from the placeholders of the template (null: an untracked email). */
export function recipientTracking(
  email: EmailRow,
  plan: TrackingPlan,
  template: TrackedTemplate | null,
  tokens: TrackingTokens,
  recipientId: string,
): RecipientTracking {
  if (template === null) return { pixelUrl: null, links: [] };
  const slots = [template.html, template.text].flatMap((body) =>
    body === null ? [] : [...body.matchAll(SLOT)].map((m) => m[1] ?? ''),
  );
  const links = new Map<string, string>();
  for (const which of slots) {
    const url = which === 'O' ? HONEYPOT_URL : (template.links[Number(which)] ?? '');
    if (url !== HONEYPOT_URL && !links.has(url))
      links.set(url, slotUrl(email, plan, template, tokens, recipientId, which));
  }
  return {
    pixelUrl: slots.includes('O') ? slotUrl(email, plan, template, tokens, recipientId, 'O') : null,
    links: [...links].map(([url, trackedUrl]) => ({ url, trackedUrl })),
  };
}

/**
 * One recipient's HTML and text bodies: the template with that recipient's signed pixel and link URLs,
 * filled in a few hundred at a time with a turn of the event loop between.
 */
export async function trackedBodies(
  email: EmailRow,
  plan: TrackingPlan,
  template: TrackedTemplate,
  tokens: TrackingTokens,
  recipientId: string,
): Promise<{ html: string | null; text: string | null }> {
  const url = (which: string) => slotUrl(email, plan, template, tokens, recipientId, which);
  const fill = async (body: string | null, escape: boolean) => {
    if (body === null) return null;
    const out: string[] = [];
    let copied = 0;
    let filled = 0;
    for (const m of body.matchAll(SLOT)) {
      const u = url(m[1] ?? '');
      out.push(body.slice(copied, m.index), escape ? u.replace(/&/g, '&amp;').replace(/"/g, '&quot;') : u);
      copied = m.index + m[0].length;
      if (++filled % SLOTS_PER_TURN === 0) await nextTurn();
    }
    out.push(body.slice(copied));
    return out.join('');
  };
  return { html: await fill(template.html, true), text: await fill(template.text, false) };
}
