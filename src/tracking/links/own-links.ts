/**
 * Unsubscribe targets of a List-Unsubscribe header value (RFC 2369: `<https://…>, <mailto:…>`): the
 * http(s) ones, which a body may link to as well.
 */
function listUnsubscribeTargets(headers: Record<string, string>): string[] {
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'list-unsubscribe')?.[1] ?? '';
  return [...value.matchAll(/<\s*(https?:[^>\s]+)\s*>/gi)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
}

function normalised(url: string): string | null {
  try {
    return new URL(url).href;
  } catch {
    return null;
  }
}

/**
 * What counts as one of the email's unsubscribe links, which are never tracked: a redirect in front of
 * them would make scanners unsubscribe people, and the link must keep working as the sender wrote it.
 * `bases` are our unsubscribe endpoints (everything below them is ours); the List-Unsubscribe targets
 * of the email's own headers match exactly. URLs compare in WHATWG form (host case, default ports).
 */
export function ownLinks(bases: string[], headers: Record<string, string>): (url: string) => boolean {
  const prefixes = bases
    .map(normalised)
    .filter((b): b is string => b !== null)
    .map((b) => b.replace(/\/+$/, ''));
  const exact = new Set(
    listUnsubscribeTargets(headers)
      .map(normalised)
      .filter((u): u is string => u !== null),
  );
  return (url) => {
    const href = normalised(url);
    if (href === null) return false;
    if (exact.has(href)) return true;
    return prefixes.some((p) => href === p || (href.startsWith(p) && '/?#'.includes(href.charAt(p.length))));
  };
}
