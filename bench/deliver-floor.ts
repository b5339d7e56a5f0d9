// The floor of bench/deliver, in its own process: the least work any DKIM-signing sender built on the
// same libraries does per message. nodemailer composes each message (bench/lib.ts's sendBody, each its
// own recipient), Taifa Mail's signer (src/delivery/dkim.ts: node:crypto, the RSA on libuv's pool) signs
// it, and a nodemailer pool of FLOOR_CONNECTIONS connections sends it to the sink at FLOOR_PORT. No
// database, no queue, no tracking, no retries. Sends messages FLOOR_FROM … FLOOR_FROM + FLOOR_N - 1,
// 40 at a time; prints one JSON line: the CPU time (ms) it spent from its first message to its last.
import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { dkimKey, dkimSignature } from '../src/delivery/dkim.js';
import { sendBody } from './lib.js';

const env = (name: string) => Number(process.env[name]);
const [from, n, connections] = [env('FLOOR_FROM'), env('FLOOR_N'), env('FLOOR_CONNECTIONS')];
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const key = dkimKey('bench.example.com', 'floor', privateKey);
const transport = nodemailer.createTransport({
  pool: true,
  maxConnections: connections,
  maxMessages: Infinity,
  host: '127.0.0.1',
  port: env('FLOOR_PORT'),
  secure: false,
  ignoreTLS: true,
});

const cpu0 = process.cpuUsage();
let next = from;
await Promise.all(
  Array.from({ length: 40 }, async () => {
    while (next < from + n) {
      const i = next++;
      const body = sendBody('receipts@bench.example.com', i) as {
        subject: string;
        html: string;
        text: string;
        to: Array<{ email: string }>;
      };
      const to = body.to[0]!.email;
      const raw = await new MailComposer({
        from: 'Bench Receipts <receipts@bench.example.com>',
        to,
        subject: body.subject,
        html: body.html,
        text: body.text,
      })
        .compile()
        .build();
      const signed = Buffer.concat([Buffer.from(await dkimSignature(raw, key)), raw]);
      await transport.sendMail({ envelope: { from: `bounce+${i}@bench.example.com`, to: [to] }, raw: signed });
    }
  }),
);
const cpu = process.cpuUsage(cpu0);
transport.close();
process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
