// The baseline of bench/track: a bare node:http server answering the same 43-byte GIF with the same headers as the
// pixel.
import http from 'node:http';
import { PIXEL_GIF, PIXEL_HEADERS } from '../src/tracking/routes.js';

const headers = { ...PIXEL_HEADERS, 'content-length': PIXEL_GIF.length };
const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(PIXEL_GIF);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${a.port}`, msg: 'bare ready' }) + '\n');
});
