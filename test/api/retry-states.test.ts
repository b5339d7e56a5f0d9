import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailStatus, RecipientStatus } from '../../src/model.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(testDatabases())('retry by status on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    // API only: no worker, so what is sent stays queued until a test moves it.
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  /** Sends to `to`, then sets the email and each recipient to the given statuses, as the worker would have. */
  async function emailIn(status: EmailStatus, recipients: Array<[string, RecipientStatus]>): Promise<string> {
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ to: recipients.map(([email]) => ({ email })), subject: `Was ${status}` }),
    );
    expect(r.status).toBe(202);
    const db = t.server.store.db;
    await db
      .updateTable('emails')
      .set({ status, rejection_reason: status === 'rejected' ? 'suppressed' : null, updated_at: Date.now() })
      .where('id', '=', r.body.id)
      .execute();
    for (const [email, rs] of recipients)
      await db
        .updateTable('email_recipients')
        .set({ status: rs })
        .where('email_id', '=', r.body.id)
        .where('address', '=', email)
        .execute();
    return r.body.id;
  }

  for (const status of ['rejected', 'failed'] as const) {
    it(`retries a ${status} email to the recipients that did not get it`, async () => {
      const id = await emailIn(status, [
        [`got-${status}@recipient.test`, 'delivered'],
        [`missed-${status}@recipient.test`, status],
      ]);
      const retry = await t.call('POST', `/v1/emails/${id}/retry`);
      expect(retry.status).toBe(202);
      expect(retry.body).toMatchObject({ status: 'queued', rejection_reason: null });
      const detail = await t.call('GET', `/v1/emails/${retry.body.id}`);
      expect(detail.body).toMatchObject({
        retry_of_id: id,
        subject: `Was ${status}`,
        status: 'queued',
        to_addresses: [`missed-${status}@recipient.test`],
      });
      expect(detail.body.recipients.map((r: { email: string }) => r.email)).toEqual([
        `missed-${status}@recipient.test`,
      ]);
      // The original is untouched.
      expect((await t.call('GET', `/v1/emails/${id}`)).body.status).toBe(status);
    });
  }

  it('answers 409 for a queued or a scheduled email, and creates nothing', async () => {
    const queued = await t.call('POST', '/v1/emails/', sendBody());
    const scheduled = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ send_at: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    const count = async () =>
      Number(
        (
          await t.server.store.db
            .selectFrom('emails')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    for (const [id, status] of [
      [queued.body.id, 'queued'],
      [scheduled.body.id, 'scheduled'],
    ]) {
      expect((await t.call('GET', `/v1/emails/${id}`)).body.status).toBe(status);
      const r = await t.call('POST', `/v1/emails/${id}/retry`);
      expect([status, r.status]).toEqual([status, 409]);
      expect(r.body.code).toBe('not_retryable');
      expect(r.body.detail).toContain(status);
    }
    expect(await count()).toBe(before);
  });
});
