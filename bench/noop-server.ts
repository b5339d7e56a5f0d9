// The baselines of bench/send.ts, each a bare Fastify server in its own process that parses the same
// JSON body and answers 202 — no auth, no validation. PORT from the environment.
// - the no-op route (default): stores nothing.
// - the storage floor (STORE=<SQLite file>): also stores each body, as one row of one table in SQLite
//   (WAL, see floor-db.ts), the rows of one event-loop turn in one transaction, and answers after its
//   commit; no fsync, no other row or index. Less than any server that keeps what it accepts must do:
//   what it reaches bounds from above what such a server can reach on this machine.
import Fastify from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { floorDatabase } from './floor-db.js';

/** Stores bodies in batches: what arrives in one turn of the event loop is committed in one transaction. */
function bodyStore(file: string): (body: string) => Promise<string> {
  const { db, batches } = floorDatabase(file);
  db.exec('CREATE TABLE IF NOT EXISTS bodies (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO bodies (id, body) VALUES (?, ?)');
  const add = batches(
    (rows: Array<[id: string, body: string]>) => rows.forEach(([id, body]) => insert.run(id, body)),
    setImmediate,
  );
  return async (body) => {
    const id = uuidv7();
    await add([id, body]);
    return id;
  };
}

const store = process.env.STORE ? bodyStore(process.env.STORE) : null;
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/v1/emails/', async (request, reply) => {
  const body = request.body as { subject?: unknown } | undefined;
  const id = store ? await store(JSON.stringify(body)) : '01a20000-0000-7000-8000-000000000000';
  return reply.status(202).send({
    id,
    status: 'queued',
    message_id: `<noop-${typeof body?.subject === 'string' ? body.subject.length : 0}@example.com>`,
    rejection_reason: null,
  });
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void app.close().then(() => process.exit(0)));
