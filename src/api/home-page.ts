import type { FastifyInstance } from 'fastify';
import { HOME_PAGE_HEADERS } from './security-headers.js';

/** The page, self-contained: no script, no image, nothing loaded from anywhere (see HOME_PAGE_HEADERS). */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Taifa Mail</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}li{margin:.5rem 0}</style>
</head>
<body>
<main>
<h1>Taifa Mail</h1>
<p>This server sends transactional email for applications, through its HTTP API.</p>
<ul>
<li><a href="/docs">API reference</a>: every endpoint, with examples to try.</li>
<li><a href="/v1/openapi.json">OpenAPI document</a>: the same reference as OpenAPI 3.1 JSON, for client generators.</li>
<li><a href="/healthz">Health</a>: whether the server is ready and its database answers.</li>
</ul>
</main>
</body>
</html>
`;

/**
 * GET /: where a person who opens the server's address lands, pointed to the reference. A placeholder until a
 * dashboard takes its place: replace this one function.
 */
export function homePage(app: FastifyInstance): void {
  app.get('/', { schema: { hide: true }, helmet: HOME_PAGE_HEADERS }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PAGE),
  );
}
