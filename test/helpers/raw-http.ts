import http from 'node:http';

/** An answer as it came off the wire: status, headers (lower-case names) and body bytes. */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON (or empty, as an answer to HEAD is). */
  json: any;
}

/**
 * Sends one request exactly as given: the path is not normalised or re-encoded (`%zz` stays `%zz`), and no
 * header is added but Host and, with a body, Content-Length (so a request without Content-Type can be sent,
 * which fetch never does).
 */
export function rawRequest(
  base: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
  const url = new URL(base);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: opts.path, method: opts.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: unknown;
          if ((res.headers['content-type'] ?? '').includes('json') && body.length > 0)
            json = JSON.parse(body.toString('utf8'));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
