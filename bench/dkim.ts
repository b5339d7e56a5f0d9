// DKIM signing per message: Taifa Mail's signer (src/delivery/dkim.ts: key parsed once, RSA on libuv's
// pool) against mailauth's public dkimSign (which parses the PEM and signs on the event loop for every
// message). Signs DKIM_N receipts (bench/lib.ts's sendBody, composed by nodemailer beforehand), 40 at a
// time as the delivery worker does, and prints per message: wall time, process CPU (all threads) and
// event-loop time. Run: npx tsx bench/dkim.ts
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { dkimSign } from 'mailauth';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { dkimKey, dkimSignature } from '../src/delivery/dkim.js';
import { sendBody } from './lib.js';

const N = Number(process.env.DKIM_N ?? 2000);
const CONCURRENCY = 40;
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const key = dkimKey('bench.example.com', 'bench', privateKey);
const signer = { signingDomain: 'bench.example.com', selector: 'bench', privateKey };

const messages = await Promise.all(
  Array.from({ length: 100 }, (_, i) => {
    const body = sendBody('receipts@bench.example.com', i) as { subject: string; html: string; text: string };
    return new MailComposer({ from: 'receipts@bench.example.com', to: `customer${i}@recipient.example`, ...body })
      .compile()
      .build();
  }),
);

const signers: Record<string, (message: Buffer) => Promise<string>> = {
  taifa: (message) => dkimSignature(message, key),
  'mailauth dkimSign': async (message) => (await dkimSign(message, { ...signer, signatureData: [signer] })).signatures,
};

async function run(sign: (message: Buffer) => Promise<string>, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await sign(messages[next++ % messages.length]!);
    }),
  );
}

for (const [name, sign] of Object.entries(signers)) {
  await run(sign, 200); // warm-up
  const [cpu0, elu0, t0] = [process.cpuUsage(), performance.eventLoopUtilization(), performance.now()];
  await run(sign, N);
  const wallUs = ((performance.now() - t0) * 1000) / N;
  const cpu = process.cpuUsage(cpu0);
  const loopUs = (performance.eventLoopUtilization(elu0).active * 1000) / N;
  const perMessage = (us: number) => `${us.toFixed(0)} µs`;
  process.stdout.write(
    `${name.padEnd(18)} wall ${perMessage(wallUs)}/message, CPU ${perMessage((cpu.user + cpu.system) / N)}, event loop ${perMessage(loopUs)}\n`,
  );
}
