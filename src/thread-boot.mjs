// The first module of every thread spawnThread starts (src/threads.ts): the project runs from its
// TypeScript sources, and a thread does not inherit the main thread's loader, so a .ts entry gets
// tsx's here. Plain JavaScript, so that it runs the same from source and compiled.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
