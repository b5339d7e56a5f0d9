/** The order methods are listed in an Allow header. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A route's path as the router matches it: `:name` is one segment that is not empty, `*` the rest of the
 * path, a trailing slash optional (the router ignores it), everything else as written.
 */
function pathPattern(url: string): RegExp {
  const source = url
    .replace(/\/+$/, '')
    .split(/(:\w+|\*)/)
    .map((part, i) => (i % 2 === 0 ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : part === '*' ? '.*' : '[^/]+'))
    .join('');
  return new RegExp(`^${source}/?$`);
}

/**
 * Which methods the router answers at a path: what a 405's Allow header lists for a request whose method
 * no route takes there (a wrong method on a known path), and what tells it from an unknown path (none).
 * Reads the routes as registered, compiled on first use and again whenever routes were added since.
 */
export class AllowedMethods {
  private compiled: Array<{ method: string; pattern: RegExp }> = [];

  constructor(private readonly routes: ReadonlyArray<{ method: string; url: string }>) {}

  /** The methods of the routes matching `url` (its query string aside), in the usual order; empty for none. */
  at(url: string): string[] {
    if (this.compiled.length !== this.routes.length)
      this.compiled = this.routes.map((r) => ({ method: r.method, pattern: pathPattern(r.url) }));
    const path = url.split('?', 1)[0] ?? '';
    const methods = new Set(this.compiled.filter((r) => r.pattern.test(path)).map((r) => r.method));
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}

function rank(method: string): number {
  const i = ORDER.indexOf(method);
  return i === -1 ? ORDER.length : i;
}
