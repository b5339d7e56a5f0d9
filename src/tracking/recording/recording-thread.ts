// The recording thread (see HitBuffer): judges and writes the tracking endpoints' hits on a database
// connection of its own, so that the event loop answering them never runs a statement for them.
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { openStore, type Store } from '../../store/database.js';
import { GroupCommitter } from '../../store/group-commit.js';
import { BatchWriter } from './batch-writer.js';
import type { FromRecordingThread, RecordingSetup, ToRecordingThread } from './hit-buffer.js';
import { loadScannerLists } from '../scanner-lists.js';
import { TrackingTokens } from '../tokens.js';

const port = parentPort!;
const setup = workerData as RecordingSetup;
const say = (m: FromRecordingThread) => port.postMessage(m);

let store: Store | null = null;
try {
  // Everything that can fail at start fails here, before the main thread says it is ready.
  const lists = loadScannerLists(setup.scannerFiles);
  store = openStore(setup.databaseUrl, { poolSize: 2 });
  const writer = new BatchWriter({
    committer: new GroupCommitter(store.db),
    tokens: new TrackingTokens(setup.secret, setup.previousSecret ?? null),
    lists,
    rules: setup.rules,
    log: pino({ level: setup.logLevel }).child({ role: 'tracking' }),
    onSettled: (settled, recorded) => say({ type: 'settled', settled, recorded }),
  });
  const open = store;
  port.on('message', (m: ToRecordingThread) => {
    if (m.type === 'hits') writer.add(m.hits);
    else if (m.type === 'flush') void writer.drain();
    // Ends the thread (not the process) once everything is written and the store closed.
    else
      void writer
        .drain()
        .finally(() => open.close())
        .finally(() => process.exit(0));
  });
  say({ type: 'ready' });
} catch (error) {
  say({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  await store?.close();
  process.exit(1);
}
