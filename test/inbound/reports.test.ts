import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

// Reports arriving at the inbound listener, end to end: real bounce and complaint messages from the
// corpus, with our recipient, token and Message-ID put in, sent over SMTP to the running server.

const bounces = corpusDir('bounces');
const RETURN_PATH = 'tfm-bounces.example.com';

describe.each(bounces ? testDatabases() : [])('reports at the inbound listener on %s', (kind) => {
  let t: TestServer;
  let smtp: ReturnType<typeof nodemailer.createTransport>;
  const sample = (name: string) => fs.readFileSync(path.join(bounces ?? '', name), 'latin1');

  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
    smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: t.server.inboundPort ?? 0,
      secure: false,
      ignoreTLS: true,
    });
  });
  afterAll(async () => t?.close());

  /** Sends to `to`, waits until every copy is delivered; returns the email and each copy's VERP token. */
  async function delivered(to: string[]) {
    const r = await t.call('POST', '/v1/emails/', sendBody({ to: to.map((email) => ({ email })) }));
    expect(r.status).toBe(202);
    const email = await eventually('delivered', async () => {
      const d = await t.call('GET', `/v1/emails/${r.body.id}`);
      return d.body.status === 'delivered' ? d.body : undefined;
    });
    const rows = await t.server.store.db
      .selectFrom('email_recipients')
      .select(['address', 'verp_token'])
      .where('email_id', '=', r.body.id)
      .execute();
    const tokens = Object.fromEntries(rows.map((row) => [row.address, row.verp_token]));
    return { id: r.body.id as string, messageId: email.message_id as string, tokens };
  }

  const report = (raw: string, to: string) => smtp.sendMail({ envelope: { from: '', to: [to] }, raw });
  const events = async (id: string) => (await t.call('GET', `/v1/emails/${id}/events`)).body as any[];

  it('turns a delayed bounce into a hard bounce and a suppression, and a delay into a deferred event', async () => {
    const [alice, bob] = ['alice.report@customer.test', 'bob.report@customer.test'];
    const e = await delivered([alice, bob]);
    const dsn = sample('rfc3464-26.eml').replaceAll('kijitora@example.or.jp', alice);
    const answer = await report(dsn, `bounce+${e.tokens[alice]}@${RETURN_PATH}`);
    expect(answer.response).toMatch(/^250/);
    const delay = sample('lhost-opensmtpd-06.eml').replaceAll('nekochan@libsisimai.org', bob);
    expect((await report(delay, `bounce+${e.tokens[bob]}@${RETURN_PATH}`)).response).toMatch(/^250/);

    // 250 was answered once it was recorded: no waiting needed.
    const detail = (await t.call('GET', `/v1/emails/${e.id}`)).body;
    const byAddress = Object.fromEntries(detail.recipients.map((r: any) => [r.email, r.status]));
    expect(byAddress).toEqual({ [alice]: 'bounced', [bob]: 'delivered' });
    expect(detail.status).toBe('bounced');
    const evs = await events(e.id);
    const bounced = evs.find((ev) => ev.event_type === 'bounced');
    expect(bounced).toMatchObject({
      recipient: alice,
      metadata: { reason: 'user_unknown', hard: true, dsn: '5.1.1', bounce_type: 'hard', source: 'report' },
    });
    expect(evs.find((ev) => ev.event_type === 'deferred')).toMatchObject({
      recipient: bob,
      metadata: { dsn: '4.4.7' },
    });
    const s = await t.call('GET', `/v1/suppressions/bounce/${alice}`);
    expect(s.status).toBe(200);

    // The next email to her is rejected; once the suppression is deleted, mail goes out again.
    const again = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: alice }] }));
    expect(again.body.status).toBe('rejected');
    expect((await t.call('DELETE', `/v1/suppressions/bounce/${alice}`)).status).toBe(200);
    const third = await delivered([alice]);
    expect(third.id).toBeTruthy();
  });

  it('records a feedback-loop complaint found by the quoted Message-ID, and suppresses the address', async () => {
    const carol = 'carol.report@customer.test';
    const e = await delivered([carol]);
    const arf = sample('arf-01.eml')
      .replaceAll('redacted@example.net', carol)
      .replace('Subject: Kijitora cat family', `Subject: Kijitora cat family\r\nMessage-ID: ${e.messageId}`);
    expect((await report(arf, `fbl@${RETURN_PATH}`)).response).toMatch(/^250/);
    const complaint = (await events(e.id)).find((ev) => ev.event_type === 'complaint');
    expect(complaint).toMatchObject({ recipient: carol, metadata: { feedback_type: 'abuse' } });
    expect((await t.call('GET', `/v1/suppressions/complaint/${carol}`)).status).toBe(200);
  });

  it("turns a relay's delivery report into delivered, for a copy the relay had only accepted", async () => {
    const erin = 'erin.report@customer.test';
    const e = await delivered([erin]);
    // As after a relay's 250: sent, not yet known to be delivered.
    const db = t.server.store.db;
    await db.updateTable('email_recipients').set({ status: 'sent' }).where('email_id', '=', e.id).execute();
    await db.updateTable('emails').set({ status: 'sent', delivered_at: null }).where('id', '=', e.id).execute();
    const dsn = [
      'From: MAILER-DAEMON@relay.example.net',
      `To: bounce+${e.tokens[erin]}@${RETURN_PATH}`,
      'Subject: Successful Mail Delivery Report',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Your message was successfully delivered to the destination(s) listed below.',
      '',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; relay.example.net',
      '',
      `Final-Recipient: rfc822; ${erin}`,
      'Action: delivered',
      'Status: 2.0.0',
      'Remote-MTA: dns; mx.customer.test',
      'Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4XYZ',
      '',
      '--b1--',
      '',
    ].join('\r\n');
    expect((await report(dsn, `bounce+${e.tokens[erin]}@${RETURN_PATH}`)).response).toMatch(/^250/);
    const detail = (await t.call('GET', `/v1/emails/${e.id}`)).body;
    expect([detail.status, detail.recipients[0].status]).toEqual(['delivered', 'delivered']);
    expect((await events(e.id)).filter((ev) => ev.event_type === 'delivered').at(-1)).toMatchObject({
      recipient: erin,
      metadata: { source: 'report', action: 'delivered' },
    });
  });

  it('drops a report about a copy it never sent (250, nothing recorded)', async () => {
    const dave = 'dave.report@customer.test';
    const e = await delivered([dave]);
    const before = (await events(e.id)).length;
    const dsn = sample('rfc3464-26.eml').replaceAll('kijitora@example.or.jp', dave);
    const answer = await report(dsn, `bounce+${'Q'.repeat(20)}@${RETURN_PATH}`);
    expect(answer.response).toMatch(/^250/);
    expect(await events(e.id)).toHaveLength(before);
    expect((await t.call('GET', `/v1/suppressions/bounce/${dave}`)).status).toBe(404);
  });

  it('is nobody else’s MX: other recipients and other hosts are refused at RCPT', async () => {
    for (const to of ['someone@gmail.com', `postmaster@${RETURN_PATH}`, `bounce+${'A'.repeat(20)}@elsewhere.test`]) {
      const error = await smtp
        .sendMail({ envelope: { from: 'x@y.test', to: [to] }, raw: 'Subject: hi\r\n\r\nhi\r\n' })
        .then(
          () => null,
          (err: { responseCode?: number }) => err,
        );
      expect([to, error?.responseCode]).toEqual([to, 550]);
    }
  });
});
