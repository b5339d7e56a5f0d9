import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingTokens } from '../../src/tracking/tokens.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { detail, engagement, hit, recordAt, RULES, sendTracked, waitEvents, type Engagement } from './tracked-email.js';

const iso = (ms: number) => new Date(ms).toISOString();
const PERSON = '203.0.113.7';
const SCANNER = '198.51.100.9';

describe.each(testDatabases())('counting people, not machines, on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it('treats a visitor who follows the honeypot as a machine, before and after, and takes back what they counted', async () => {
    const e = await sendTracked(t);
    await hit(t, e.links[0]!);
    await waitEvents(t, e.id, 2, { clicked_count: 1, opened_count: 1 });
    const trap = await hit(t, e.honeypot);
    expect(trap.status).toBe(204);
    await hit(t, e.links[1]!);
    const d = await waitEvents(t, e.id, 4, { clicked_count: 0, opened_count: 0 });
    // The click, the open it back-filled, the honeypot itself and the click after it: all a machine's.
    expect(engagement(d)).toEqual([
      ['click', 'generic', 'honeypot', false],
      ['open', 'generic', 'honeypot', false],
      ['click', 'generic', 'honeypot', false],
      ['click', 'generic', 'honeypot', false],
    ]);
    expect(d.events.find((x: Engagement) => x.event_type === 'open').metadata.backfilled).toBe(true);
    expect(d).toMatchObject({ opened_count: 0, opened_at: null, clicked_count: 0, clicked_at: null });
  });

  it("keeps a person's open when a scanner's click on the same copy is taken back", async () => {
    const e = await sendTracked(t);
    const at = Date.now() - 1_800_000;
    await recordAt(t, e, [
      { kind: 'open', at, ip: PERSON },
      { kind: 'click', at: at + 10_000, ip: SCANNER, url: 'https://shop.test/a' },
    ]);
    expect(await detail(t, e.id)).toMatchObject({ opened_count: 1, clicked_count: 1, clicked_at: iso(at + 10_000) });
    await recordAt(t, e, [{ kind: 'click', at: at + 20_000, ip: SCANNER, url: 'taifa:honeypot' }]);
    expect(await detail(t, e.id)).toMatchObject({
      opened_count: 1,
      opened_at: iso(at),
      clicked_count: 0,
      clicked_at: null,
    });
  });

  it('moves opened_at and clicked_at to the first hit that still counts', async () => {
    const e = await sendTracked(t);
    const at = Date.now() - 1_800_000;
    await recordAt(t, e, [
      { kind: 'click', at, ip: SCANNER, url: 'https://shop.test/a' }, // counted, back-fills an open at `at`
      { kind: 'open', at: at + 90_000, ip: PERSON }, // past the open window: counted
      { kind: 'click', at: at + 95_000, ip: PERSON, url: 'https://shop.test/b' },
    ]);
    expect(await detail(t, e.id)).toMatchObject({
      opened_count: 2,
      opened_at: iso(at),
      clicked_count: 2,
      clicked_at: iso(at),
    });
    await recordAt(t, e, [{ kind: 'click', at: at + 100_000, ip: SCANNER, url: 'taifa:honeypot' }]);
    const d = await detail(t, e.id);
    expect(d).toMatchObject({
      opened_count: 1,
      opened_at: iso(at + 90_000),
      clicked_count: 1,
      clicked_at: iso(at + 95_000),
    });
    expect(engagement(d).filter(([, bot]) => bot === '')).toEqual([
      ['open', '', '', false],
      ['click', '', '', false],
    ]);
  });

  it('coalesces against counted hits only, so a poller does not stretch the window', async () => {
    const e = await sendTracked(t);
    const at = Date.now() - 1_800_000;
    const w = 10_000;
    const rules = { ...RULES, openCoalesceMs: w, clickCoalesceMs: w };
    await recordAt(
      t,
      e,
      [0, 0.6 * w, 1.2 * w].map((dt) => ({ kind: 'open' as const, at: at + dt })),
      rules,
    );
    await recordAt(
      t,
      e,
      [0, 0.6 * w, 1.2 * w].map((dt) => ({
        kind: 'click' as const,
        at: at + 100_000 + dt,
        url: 'https://shop.test/a',
      })),
      rules,
    );
    const d = await detail(t, e.id);
    expect(engagement(d)).toEqual([
      ['open', '', '', false],
      ['open', '', '', true],
      ['open', '', '', false],
      ['click', '', '', false],
      ['click', '', '', true],
      ['click', '', '', false],
    ]);
    expect(d).toMatchObject({ opened_count: 2, clicked_count: 2 });
  });

  it('counts an open or a click seconds after sending as a prefetch', async () => {
    const e = await sendTracked(t, {}, false);
    await hit(t, e.pixel);
    await hit(t, e.links[0]!);
    const d = await waitEvents(t, e.id, 2);
    expect(engagement(d)).toEqual([
      ['open', 'generic', 'prefetch', false],
      ['click', 'generic', 'prefetch', false],
    ]);
    expect(d).toMatchObject({ opened_count: 0, opened_at: null, clicked_count: 0, clicked_at: null });
  });

  it('counts a hit on a copy not yet recorded as sent as a prefetch', async () => {
    // A gateway scanning at acceptance can beat the commit that records the send; a scheduled copy stands in for that
    // moment.
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ send_at: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    expect(r.status).toBe(202);
    const recipient = await t.server.store.db
      .selectFrom('email_recipients')
      .select(['id', 'status'])
      .where('email_id', '=', r.body.id)
      .executeTakeFirstOrThrow();
    expect(recipient.status).toBe('scheduled');
    const tokens = new TrackingTokens('test-secret');
    const target = { emailId: r.body.id as string, recipientId: recipient.id };
    expect((await hit(t, `/v1/track/open/${tokens.sign({ kind: 'open', ...target })}`)).status).toBe(200);
    expect(
      (await hit(t, `/v1/track/click/${tokens.sign({ kind: 'click', ...target, url: 'https://shop.test/a' })}`)).status,
    ).toBe(302);
    const d = await waitEvents(t, r.body.id, 2);
    expect(engagement(d)).toEqual([
      ['open', 'generic', 'prefetch', false],
      ['click', 'generic', 'prefetch', false],
    ]);
    expect(d).toMatchObject({ opened_count: 0, opened_at: null, clicked_count: 0, clicked_at: null });
  });
});
