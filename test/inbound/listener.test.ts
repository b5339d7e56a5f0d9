import net from 'node:net';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { InboundListener, type InboundMessage } from '../../src/inbound/listener.js';

// The listener on its own, on loopback, with handlers that own one mailbox pattern: what it refuses at
// RCPT, what it answers once a message is handled, and the limits. (How messages are read and recorded
// is tested with the server, in the other inbound tests.)

const OURS = /^bounce\+[A-Za-z0-9]+@tfm-bounces\.example\.com$/i;

let listener: InboundListener | null = null;
afterEach(async () => {
  await listener?.close();
  listener = null;
});

async function start(handle: (m: InboundMessage) => Promise<void>, limits = {}) {
  listener = await InboundListener.start({
    host: '127.0.0.1',
    port: 0,
    name: 'mx.taifa.test',
    log: pino({ level: 'silent' }),
    limits,
    handlers: { accepts: async (a) => OURS.test(a), handle },
  });
  return nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
}

const raw = (to: string, body = 'A bounce.') =>
  Buffer.from(`From: MAILER-DAEMON@mx.example.net\r\nTo: ${to}\r\nSubject: Undelivered\r\n\r\n${body}\r\n`);

describe('the inbound SMTP listener', () => {
  it('takes mail for its own mailboxes and answers 250 once the handler has recorded it', async () => {
    const got: InboundMessage[] = [];
    const smtp = await start(async (m) => void got.push(m));
    const to = 'bounce+AbC123@tfm-bounces.example.com';
    const info = await smtp.sendMail({ envelope: { from: '', to: [to] }, raw: raw(to) });
    expect(info.response).toMatch(/^250/);
    expect(got).toHaveLength(1);
    expect(got[0]?.recipients).toEqual([to]);
    expect(got[0]?.from).toBe('');
    expect(got[0]?.raw.toString()).toContain('Subject: Undelivered');
  });

  it('is not an open relay: any other recipient is refused at RCPT with 550, and nothing is handled', async () => {
    const got: InboundMessage[] = [];
    const smtp = await start(async (m) => void got.push(m));
    for (const to of [
      'someone@gmail.com',
      'bounce+AbC123@elsewhere.example.org',
      'postmaster@tfm-bounces.example.com',
    ]) {
      const error = await smtp.sendMail({ envelope: { from: 'spammer@x.test', to: [to] }, raw: raw(to) }).then(
        () => null,
        (e: { responseCode?: number }) => e,
      );
      expect([to, error?.responseCode]).toEqual([to, 550]);
    }
    // A mixed envelope: the message is taken for our recipient only.
    const mine = 'bounce+Zz9@tfm-bounces.example.com';
    const info = await smtp.sendMail({ envelope: { from: '', to: [mine, 'victim@gmail.com'] }, raw: raw(mine) });
    expect(info.rejected).toEqual(['victim@gmail.com']);
    expect(got.map((m) => m.recipients)).toEqual([[mine]]);
  });

  it('answers 451 (try again later) when the message could not be recorded', async () => {
    const smtp = await start(async () => {
      throw new Error('the database is down');
    });
    const to = 'bounce+AbC123@tfm-bounces.example.com';
    const error = await smtp.sendMail({ envelope: { from: '', to: [to] }, raw: raw(to) }).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(error?.responseCode).toBe(451);
  });

  it('refuses a message over its size limit with 552, whatever the client announced', async () => {
    const got: InboundMessage[] = [];
    const smtp = await start(async (m) => void got.push(m), { maxBytes: 10_000 });
    const to = 'bounce+AbC123@tfm-bounces.example.com';
    const error = await smtp.sendMail({ envelope: { from: '', to: [to] }, raw: raw(to, 'x'.repeat(50_000)) }).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(error?.responseCode).toBe(552);
    expect(got).toEqual([]);
  });

  it('caps the recipients of one message', async () => {
    const smtp = await start(async () => undefined, { maxRecipients: 2 });
    const to = ['a', 'b', 'c'].map((l) => `bounce+${l}@tfm-bounces.example.com`);
    const info = await smtp.sendMail({ envelope: { from: '', to }, raw: raw(to[0] ?? '') });
    expect(info.accepted).toHaveLength(2);
    expect(info.rejected).toHaveLength(1);
  });

  it('survives garbage on the wire and keeps serving', async () => {
    const got: InboundMessage[] = [];
    const smtp = await start(async (m) => void got.push(m));
    await new Promise<void>((resolve) => {
      const socket = net.connect(listener?.port ?? 0, '127.0.0.1', () => {
        socket.write(`${'\u0000\u00ff'.repeat(5000)}\r\nHELO ${'x'.repeat(100_000)}\r\nRCPT TO:<>\r\nDATA\r\n`);
        socket.end();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      socket.resume();
    });
    const to = 'bounce+AbC123@tfm-bounces.example.com';
    const info = await smtp.sendMail({ envelope: { from: '', to: [to] }, raw: raw(to) });
    expect(info.response).toMatch(/^250/);
    expect(got).toHaveLength(1);
  });
});
