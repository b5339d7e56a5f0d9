// The baseline of bench/send.ts: a bare Fastify server in its own process that parses the same JSON
// body and answers 202 from a no-op route — no auth, no validation, no storage. PORT from the environment.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/v1/emails/', async (request, reply) => {
  const body = request.body as { subject?: unknown } | undefined;
  return reply.status(202).send({
    id: '01a20000-0000-7000-8000-000000000000', status: 'queued',
    message_id: `<noop-${typeof body?.subject === 'string' ? body.subject.length : 0}@example.com>`, rejection_reason: null,
  });
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void app.close().then(() => process.exit(0)));
