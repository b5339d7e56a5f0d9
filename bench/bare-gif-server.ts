// The baseline of bench/track: a bare node:http server answering the same 43-byte GIF.
import http from 'node:http';
import { PIXEL_GIF } from '../src/tracking/routes.js';

const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store, no-cache, must-revalidate, private', 'content-length': PIXEL_GIF.length });
  res.end(PIXEL_GIF);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${a.port}`, msg: 'bare ready' }) + '\n');
});
