import { RewritingStream } from 'parse5-html-rewriting-stream';

/**
 * The test's own statement of which links get tracked, written from the rules (README "Tracking"), not
 * from the rewriter: `<a>`, `<area>` and VML shapes (also inside Outlook conditional comments) whose
 * href resolves, against `<base href>`, to http(s); not anchors, not merge tags, not links marked
 * `data-unsubscribe` or switched off with `disable-tracking`. parse5's tokenizer only finds the tags.
 */
export interface LinkOracle {
  /** Each link to track, in document order: where its href attribute is in the input and where it goes. */
  links: Array<{ start: number; end: number; target: string }>;
  /** `disable-tracking` attributes, with the blanks before them: removed on output. */
  directives: Array<{ start: number; end: number }>;
}

interface Attr {
  name: string;
  value: string;
}
interface Tag {
  tagName: string;
  attrs: Attr[];
  sourceCodeLocation: { startOffset: number; attrs: Record<string, { startOffset: number; endOffset: number }> };
}

const MERGE_TAG = /%[\w.-]+%|\|\*|\*\||\{\{|\{%|^\[[^\]]*\]$/;
const CONDITIONAL = /^(\[if [^\]]*\]>)([\s\S]*)<!\[endif\]$/i;

function target(href: string, base: string | null): string | null {
  const value = href.replace(/[\t\n\r]/g, '').trim();
  if (!value || value.startsWith('#') || MERGE_TAG.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value, base ?? undefined);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return /^https?:/i.test(value) ? value : url.href;
}

async function scan(html: string, offset: number, state: { base: string | null }, out: LinkOracle): Promise<void> {
  const inner: Array<Promise<void>> = [];
  const parser = new RewritingStream();
  parser.on('startTag', (tag: Tag) => {
    const attr = (name: string) => tag.attrs.find((a) => a.name === name);
    if (tag.tagName === 'base' && state.base === null && /^https?:/i.test(attr('href')?.value.trim() ?? ''))
      state.base = attr('href')!.value.trim();
    const href = attr('href');
    if (!href || !(tag.tagName === 'a' || tag.tagName === 'area' || tag.tagName.includes(':'))) return;
    const loc = tag.sourceCodeLocation.attrs;
    const directive = attr('disable-tracking');
    if (directive) {
      let start = offset + loc['disable-tracking']!.startOffset;
      while (/\s/.test(html[start - offset - 1] ?? '')) start--;
      out.directives.push({ start, end: offset + loc['disable-tracking']!.endOffset });
      if (directive.value.trim().toLowerCase() !== 'false') return;
    }
    if (attr('data-unsubscribe')) return;
    const to = target(href.value, state.base);
    if (to !== null)
      out.links.push({ start: offset + loc.href!.startOffset, end: offset + loc.href!.endOffset, target: to });
  });
  parser.on('comment', (c: { text: string; sourceCodeLocation: { startOffset: number } }) => {
    const m = CONDITIONAL.exec(c.text);
    if (m)
      inner.push(scan(m[2]!, offset + c.sourceCodeLocation.startOffset + '<!--'.length + m[1]!.length, state, out));
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(html);
    parser.resume();
  });
  await Promise.all(inner);
}

/** The links of an HTML body that tracking must rewrite, and the directives it must drop. */
export async function eligibleLinks(html: string): Promise<LinkOracle> {
  const out: LinkOracle = { links: [], directives: [] };
  await scan(html, 0, { base: null }, out);
  out.links.sort((a, b) => a.start - b.start);
  return out;
}

/**
 * Undoes tracking on a rewritten body: each tracked href attribute (`pattern` matches a whole
 * `name="url"` and captures the URL) goes back to the input's own attribute text, in order. Returns the
 * result, the destinations the tracked URLs carried (`decode`), and the input as it should come back:
 * itself, less the `disable-tracking` attributes.
 */
export function mapBack(
  output: string,
  input: string,
  oracle: LinkOracle,
  pattern: RegExp,
  decode: (url: string) => string,
): { back: string; expected: string; targets: string[] } {
  const targets: string[] = [];
  const back = output.replace(pattern, (_, url: string) => {
    const link = oracle.links[targets.length];
    targets.push(decode(url));
    return link ? input.slice(link.start, link.end) : '<extra tracked link>';
  });
  let expected = input;
  for (const d of [...oracle.directives].sort((a, b) => b.start - a.start))
    expected = expected.slice(0, d.start) + expected.slice(d.end);
  return { back, expected, targets };
}
