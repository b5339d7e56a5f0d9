// Run by recording-thread.test.ts as a process of its own: records one click through a HitBuffer and
// closes it, with nothing else keeping the process alive. Usage: record-and-exit.ts <database url> <email id>
// <recipient id>
import pino from 'pino';
import { HitBuffer } from '../../src/tracking/recording/hit-buffer.js';
import { RULES } from './tracked-email.js';

const [databaseUrl, emailId, recipientId] = process.argv.slice(2) as [string, string, string];
const recorder = await HitBuffer.start(
  { databaseUrl, secret: 'test-secret', scannerFiles: { agents: [], ranges: [] }, rules: RULES, logLevel: 'silent' },
  { log: pino({ level: 'silent' }), maxPending: 1_000 },
);
void recorder.add({
  kind: 'click',
  emailId,
  recipientId,
  url: 'https://shop.test/a',
  ua: 'Mozilla/5.0',
  ip: '203.0.113.7',
  referer: null,
  at: Date.now(),
});
await recorder.close();
