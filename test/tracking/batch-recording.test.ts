import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScannerLists } from '../../src/tracking/scanner-lists.js';
import { type Hit } from '../../src/tracking/hit.js';
import { writeHitBatch } from '../../src/tracking/recording/write-hit-batch.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CHROME, detail, engagement, RULES, sendTracked, type TrackedEmail } from './tracked-email.js';

const PERSON = '203.0.113.7';
const SCANNER = '198.51.100.9';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

/**
 * Two recipients' hits, interleaved in time (seconds after `at`): repeats inside and past the windows,
 * a proxy, clicks on two links, a scanner that follows the honeypot after clicking (taking back its
 * clicks and the open they back-filled) and clicks on after it, and a person whose click back-fills again.
 */
function script(a: TrackedEmail, b: TrackedEmail, at: number): Hit[] {
  const hit = (
    e: TrackedEmail,
    s: number,
    kind: Hit['kind'],
    ip: string,
    url: string | null = null,
    ua = CHROME,
  ): Hit => ({ kind, emailId: e.id, recipientId: e.recipientId, url, ua, ip, referer: null, at: at + s * 1000 });
  return [
    hit(a, 0, 'open', PERSON),
    hit(b, 0, 'click', SCANNER, 'https://shop.test/a'),
    hit(b, 10, 'click', SCANNER, 'https://shop.test/b'),
    hit(a, 20, 'open', PERSON),
    hit(b, 20, 'click', SCANNER, 'taifa:honeypot'),
    hit(a, 25, 'open', PERSON, null, GMAIL_PROXY),
    hit(a, 30, 'click', PERSON, 'https://shop.test/a'),
    hit(b, 30, 'click', SCANNER, 'https://shop.test/c'),
    hit(b, 35, 'click', PERSON, 'https://shop.test/c'),
    hit(a, 40, 'click', PERSON, 'https://shop.test/a'),
    hit(b, 40, 'open', PERSON),
    hit(a, 45, 'click', PERSON, 'https://shop.test/b'),
    hit(a, 70, 'open', PERSON),
  ];
}

/** What the API shows of an email's engagement, with times relative to `at`. */
async function outcome(t: TestServer, e: TrackedEmail, at: number) {
  const d = await detail(t, e.id);
  const rel = (iso: string | null) => (iso === null ? null : (Date.parse(iso) - at) / 1000);
  return {
    events: engagement(d),
    times: d.events
      .filter((x: { event_type: string }) => x.event_type === 'open' || x.event_type === 'click')
      .map((x: { created_at: string }) => rel(x.created_at)),
    opened_count: d.opened_count,
    clicked_count: d.clicked_count,
    opened_at: rel(d.opened_at),
    clicked_at: rel(d.clicked_at),
  };
}

describe.each(testDatabases())('recording hits in batches on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it('gives what recording the same hits one at a time gives, honeypot and back-fill included', async () => {
    const lists = loadScannerLists();
    const at = Date.now() - 1_800_000;
    const [a1, b1, a2, b2] = [await sendTracked(t), await sendTracked(t), await sendTracked(t), await sendTracked(t)];
    for (const h of script(a1, b1, at))
      await t.server.store.db.transaction().execute((trx) => writeHitBatch(trx, lists, RULES, [h]));
    const verdicts = await t.server.store.db
      .transaction()
      .execute((trx) => writeHitBatch(trx, lists, RULES, script(a2, b2, at)));

    expect(verdicts.map((v) => v?.reason)).toEqual([
      '',
      '',
      '',
      '',
      'honeypot',
      'ua',
      '',
      'honeypot',
      '',
      '',
      '',
      '',
      '',
    ]);
    const [one, batch] = [
      [await outcome(t, a1, at), await outcome(t, b1, at)],
      [await outcome(t, a2, at), await outcome(t, b2, at)],
    ];
    expect(batch).toEqual(one);
    // The rules themselves, as recordHit applies them.
    expect(one[0]).toMatchObject({ opened_count: 2, opened_at: 0, clicked_count: 2, clicked_at: 30 });
    expect(one[0]!.events.map(([, , , coalesced]) => coalesced)).toEqual([
      false,
      true,
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(one[1]).toMatchObject({ opened_count: 1, opened_at: 35, clicked_count: 1, clicked_at: 35 });
    expect(one[1]!.events).toEqual([
      ['click', 'generic', 'honeypot', false],
      ['open', 'generic', 'honeypot', false],
      ['click', 'generic', 'honeypot', false],
      ['click', 'generic', 'honeypot', false],
      ['click', 'generic', 'honeypot', false],
      ['click', '', '', false],
      ['open', '', '', false],
      ['open', '', '', true],
    ]);
  });

  it('records nothing for a token whose recipient does not exist, and the rest of the batch all the same', async () => {
    const lists = loadScannerLists();
    const e = await sendTracked(t);
    const at = Date.now() - 1_800_000;
    const base = { kind: 'open' as const, url: null, ua: CHROME, ip: PERSON, referer: null, at };
    const verdicts = await t.server.store.db.transaction().execute((trx) =>
      writeHitBatch(trx, lists, RULES, [
        { ...base, emailId: e.id, recipientId: '00000000-0000-7000-8000-000000000000' },
        { ...base, emailId: e.id, recipientId: e.recipientId },
      ]),
    );
    expect(verdicts).toEqual([null, { bot: '', reason: '' }]);
    expect(await outcome(t, e, at)).toMatchObject({ events: [['open', '', '', false]], opened_count: 1 });
  });
});
