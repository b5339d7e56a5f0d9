import { RewritingStream } from 'parse5-html-rewriting-stream';

/** How to track one recipient's copy. */
export interface RewriteOptions {
  /** The tracking URL for a link (null from it leaves that link alone), or null to track no link. */
  clickUrl: ((url: string) => string | null) | null;
  /** The open pixel's URL, or null for no pixel. */
  pixelUrl: string | null;
  pixelPosition: 'bottom' | 'top';
  /** Links this claims are ours (unsubscribe) and never rewritten. */
  keep?: (url: string) => boolean;
  /** A hidden link only machines follow, placed with the pixel. */
  honeypotUrl?: string | null;
}

interface Attr { name: string; value: string }
interface Location { startOffset: number; endOffset: number; attrs?: Record<string, { startOffset: number; endOffset: number }> }
interface Tag { tagName: string; attrs: Attr[]; sourceCodeLocation?: Location }

const LINK_TAGS = new Set(['a', 'area']);
/** Merge tags of other mailers (%unsubscribe_url%, |*UNSUB*|, *|UNSUB|*, {{url}}, {{{url}}}, [unsubscribe]): never links to resolve. */
const TEMPLATE_TAG = /%[\w.-]+%|\|\*|\*\||\{\{|\{%|^\[[^\]]*\]$/;
const CONDITIONAL = /^(\[if [^\]]*\]>)([\s\S]*)(<!\[endif\])$/i;
/** Marks where a top pixel goes when the document has no <body> tag: after the doctype, if any. */
const TOP_MARK = '\u0000top\u0000';

/** Whether a link is a merge tag another mailer fills in (the unsubscribe link, mostly): never ours to track. */
export function isMergeTag(value: string): boolean {
  return TEMPLATE_TAG.test(value);
}

/**
 * `disable-tracking` switches tracking off when present with any value but "false": bare, empty and
 * "true" all mean off, since that is how people write it (Mailgun documents `disable-tracking=true`).
 */
function disablesTracking(attr: Attr | undefined): boolean {
  return attr !== undefined && attr.value.trim().toLowerCase() !== 'false';
}

function pixelTag(url: string): string {
  return `<img src="${url.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" width="1" height="1" alt="" border="0" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0" />`;
}

function honeypotTag(url: string): string {
  return `<a href="${escapeAttr(url)}" style="display:none !important;font-size:0;line-height:0;max-height:0;overflow:hidden;mso-hide:all" aria-hidden="true" tabindex="-1">&#8203;</a>`;
}

/** What goes where the pixel goes: the honeypot link, then the pixel. */
function insertion(o: RewriteOptions): string {
  return (o.honeypotUrl ? honeypotTag(o.honeypotUrl) : '') + (o.pixelUrl ? pixelTag(o.pixelUrl) : '');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

/** The absolute http(s) URL a link goes to, or null when it is not one we track. */
function trackable(href: string, base: string | null, keep: RewriteOptions['keep']): string | null {
  // Browsers drop tabs and line breaks inside URLs (WHATWG URL); so do we, before signing.
  const value = href.replace(/[\t\n\r]/g, '').trim();
  if (!value || value.startsWith('#') || isMergeTag(value)) return null;
  let url: URL;
  try {
    url = base ? new URL(value, base) : new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Keep the sender's spelling of an absolute URL; resolve only relative ones against <base>.
  const absolute = /^https?:/i.test(value) ? value : url.toString();
  if (keep?.(absolute)) return null;
  return absolute;
}

/** Rewrites one start tag's raw text: a new href, `disable-tracking` removed, everything else as written. */
function rewriteTag(raw: string, tag: Tag, newHref: string | null, dropAttr: string | null): string {
  const loc = tag.sourceCodeLocation!;
  const edits: Array<{ from: number; to: number; text: string }> = [];
  for (const [name, at] of Object.entries(loc.attrs ?? {})) {
    const from = at.startOffset - loc.startOffset;
    const to = at.endOffset - loc.startOffset;
    if (name === 'href' && newHref !== null) {
      const nameText = raw.slice(from, to).match(/^[^\s=]+/)?.[0] ?? 'href';
      edits.push({ from, to, text: `${nameText}="${escapeAttr(newHref)}"` });
    } else if (name === dropAttr) {
      let start = from;
      while (start > 0 && /\s/.test(raw[start - 1]!)) start--;
      edits.push({ from: start, to, text: '' });
    }
  }
  edits.sort((a, b) => b.from - a.from);
  let out = raw;
  for (const e of edits) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/**
 * Rewrites an HTML body for tracking over parse5's tokenizer, emitting every untouched token as it
 * was written: http(s) links in `<a>`/`<area>` (also inside Outlook conditional comments) go through
 * `clickUrl`; mailto:, tel:, anchors, merge tags, our own links, links marked `data-unsubscribe` and
 * links marked `disable-tracking` (the attribute is removed) stay; relative links under a `<base href>`
 * are resolved; the pixel goes at the end of the body (or its top; without a <body> tag, the end or
 * the start of the document, after its doctype).
 */
export async function rewriteHtml(html: string, o: RewriteOptions): Promise<string> {
  const state = { base: null as string | null, pixelDone: insertion(o) === '' };
  const out = await rewriteFragment(html, o, state, true);
  const top = o.pixelPosition === 'top';
  if (state.pixelDone) return top ? out.replace(TOP_MARK, '') : out;
  if (!top) return out + insertion(o);
  return out.includes(TOP_MARK) ? out.replace(TOP_MARK, insertion(o)) : insertion(o) + out;
}

async function rewriteFragment(html: string, o: RewriteOptions, state: { base: string | null; pixelDone: boolean }, top: boolean): Promise<string> {
  const rewriter = new RewritingStream();
  const chunks: string[] = [];
  rewriter.on('data', (c: string) => chunks.push(c));
  const pending: Array<Promise<void>> = [];
  const slots: string[] = [];

  if (top && o.pixelPosition === 'top') rewriter.on('doctype', (_: unknown, raw: string) => void rewriter.emitRaw(raw + TOP_MARK));

  rewriter.on('startTag', (tag: Tag, raw: string) => {
    if (tag.tagName === 'base') {
      const href = tag.attrs.find((a) => a.name === 'href')?.value;
      if (href && /^https?:/i.test(href.trim())) state.base = href.trim();
    }
    if (top && o.pixelPosition === 'top' && tag.tagName === 'body' && !state.pixelDone) {
      state.pixelDone = true;
      rewriter.emitRaw(raw + insertion(o));
      return;
    }
    const directive = tag.attrs.find((a) => a.name === 'disable-tracking');
    const href = tag.attrs.find((a) => a.name === 'href')?.value;
    const isLink = LINK_TAGS.has(tag.tagName) || tag.tagName.includes(':'); // VML shapes (v:roundrect) carry href too
    // A link the sender marks as the unsubscribe link must reach them untouched, marker and all.
    if (!isLink || href === undefined || tag.attrs.some((a) => a.name === 'data-unsubscribe')) return void rewriter.emitRaw(raw);
    const dropAttr = directive ? 'disable-tracking' : null;
    const target = o.clickUrl && !disablesTracking(directive) ? trackable(href, state.base, o.keep) : null;
    const tracked = target === null ? null : o.clickUrl!(target);
    rewriter.emitRaw(tracked !== null || dropAttr ? rewriteTag(raw, tag, tracked, dropAttr) : raw);
  });

  rewriter.on('endTag', (tag: Tag, raw: string) => {
    if (top && tag.tagName === 'body' && !state.pixelDone) {
      state.pixelDone = true;
      return void rewriter.emitRaw(insertion(o) + raw);
    }
    rewriter.emitRaw(raw);
  });

  rewriter.on('comment', (comment: { text: string }, raw: string) => {
    const m = o.clickUrl ? CONDITIONAL.exec(comment.text) : null;
    if (!m) return void rewriter.emitRaw(raw);
    // Outlook's conditional markup is a comment to the tokenizer: rewrite its inside as HTML too.
    const index = slots.push('') - 1;
    rewriter.emitRaw(`\u0000slot${index}\u0000`);
    pending.push(rewriteFragment(m[2]!, { ...o, pixelUrl: null, honeypotUrl: null }, { ...state, pixelDone: true }, false).then((inner) => {
      slots[index] = `<!--${m[1]}${inner}${m[3]}-->`;
    }));
  });

  await new Promise<void>((resolve, reject) => {
    rewriter.on('end', () => resolve());
    rewriter.on('error', reject);
    rewriter.end(html);
    rewriter.resume();
  });
  await Promise.all(pending);
  return chunks.join('').replace(/\u0000slot(\d+)\u0000/g, (_, i: string) => slots[Number(i)]!);
}
