import { isMergeTag } from './rewrite-html.js';

// Up to the first space, quote or angle bracket; brackets are allowed inside and balanced below.
const TEXT_URL = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?]/;

const count = (s: string, c: string) => s.split(c).length - 1;

/**
 * Where a URL written in prose ends: sentence punctuation after it is not part of it, nor is a closing
 * bracket that has no opening one inside the URL ("(see https://a.test/x)"), while a balanced one is
 * ("https://en.wikipedia.org/wiki/Mercury_(planet)").
 */
function urlInProse(match: string): string {
  let url = match;
  for (;;) {
    const last = url.at(-1)!;
    const unbalanced =
      (last === ')' && count(url, '(') < count(url, ')')) || (last === ']' && count(url, '[') < count(url, ']'));
    if (!TRAILING_PUNCTUATION.test(last) && !unbalanced) return url;
    url = url.slice(0, -1);
  }
}

/**
 * Rewrites the http(s) URLs of a plain-text part through `clickUrl` (which may answer null to leave
 * one alone); merge tags of other mailers and links `keep` claims (our unsubscribe links) stay as written.
 */
export function rewriteText(
  text: string,
  clickUrl: (url: string) => string | null,
  keep?: (url: string) => boolean,
): string {
  return text.replace(TEXT_URL, (match) => {
    const url = urlInProse(match);
    if (isMergeTag(url) || keep?.(url)) return match;
    const tracked = clickUrl(url);
    return tracked === null ? match : tracked + match.slice(url.length);
  });
}
