import { Worker } from 'node:worker_threads';

/**
 * Starts a thread running the module at `entry` (a file URL, .ts or .js) with `data` as its workerData
 * (plain data: it is copied to the thread), through src/thread-boot.mjs.
 */
export function spawnThread(entry: URL, data: object): Worker {
  return new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: { ...data, entry: entry.href } });
}
