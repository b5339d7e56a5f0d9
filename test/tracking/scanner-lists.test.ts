import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { classifyHit } from '../../src/core/bot-classification.js';
import { loadScannerLists, SHIPPED_SCANNER_AGENTS, SHIPPED_SCANNER_RANGES } from '../../src/tracking/scanner-lists.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CHROME, engagement, hit, sendTracked, waitEvents } from './tracked-email.js';

/** What people's mail clients and browsers send when they load a pixel or follow a link. */
const PEOPLE = {
  'Outlook for Windows (its own image fetcher)':
    'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)',
  'Outlook for Windows, older build': 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)',
  'Windows Mail':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045',
  'Apple Mail on macOS': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  'Mail on iPhone':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  Thunderbird: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0',
  Chrome: CHROME,
  'Chrome on Android':
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
  Firefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
  Safari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  Edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0',
};
const NEUTRAL_IP = '203.0.113.5';

describe('scanner lists and classification', () => {
  const lists = loadScannerLists();
  it('knows scanner user agents, HTTP libraries and headless browsers', () => {
    expect(
      lists.agent('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)'),
    ).toBe('gmail');
    expect(lists.agent('YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html')).toBe('generic');
    expect(
      lists.agent('Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b'),
    ).toBe('microsoft');
    expect(lists.agent('Mozilla/5.0 HeadlessChrome/120.0')).toBe('generic');
    expect(lists.agent('python-requests/2.31')).toBe('generic');
    expect(lists.agent('Mozilla/5.0 (compatible; Googlebot/2.1)')).toBe('generic');
    expect(lists.agent('')).toBe('generic');
  });

  it.each(Object.entries(PEOPLE))('counts %s as a person', (_, ua) => {
    expect(lists.agent(ua)).toBeNull();
    expect(classifyHit(lists, { ua, ip: NEUTRAL_IP, at: 3_600_000, sentAt: 0, prefetchMs: 10_000 })).toEqual({
      bot: '',
      reason: '',
    });
  });

  it('knows the address ranges of Apple, Google, Microsoft, Proofpoint and Mimecast', () => {
    expect(lists.address('17.58.100.1')).toBe('apple');
    expect(lists.address('66.249.84.10')).toBe('gmail');
    expect(lists.address('40.107.3.4')).toBe('microsoft');
    expect(lists.address('148.163.130.1')).toBe('proofpoint');
    expect(lists.address('205.139.110.20')).toBe('mimecast');
    expect(lists.address('::ffff:17.1.1.1')).toBe('apple');
    expect(lists.address('203.0.113.5')).toBeNull();
    expect(lists.address('not an ip')).toBeNull();
  });

  it("names Microsoft's Safe Links scanner by its address, whatever browser it claims to be", () => {
    // As seen in the wild: Exchange Online Protection following a link seconds after delivery with a stock Chrome user
    // agent.
    const safeLinks = {
      ua: 'Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36',
      ip: '40.107.218.12',
    };
    expect(classifyHit(lists, { ...safeLinks, at: 3_600_000, sentAt: 0, prefetchMs: 10_000 })).toEqual({
      bot: 'microsoft',
      reason: 'ip',
    });
    // Proofpoint and Mimecast are known here by address only: their fetchers' user agents vary and we list none we have
    // not seen.
    expect(
      classifyHit(lists, { ua: CHROME, ip: '148.163.130.1', at: 3_600_000, sentAt: 0, prefetchMs: 10_000 }),
    ).toEqual({ bot: 'proofpoint', reason: 'ip' });
    expect(
      classifyHit(lists, { ua: CHROME, ip: '185.58.85.10', at: 3_600_000, sentAt: 0, prefetchMs: 10_000 }),
    ).toEqual({ bot: 'mimecast', reason: 'ip' });
  });

  it('puts the user agent first, then the address, then timing (before the recorded send, or none, is a prefetch)', () => {
    const at = (ms: number, sentAt: number | null) =>
      classifyHit(lists, { ua: CHROME, ip: NEUTRAL_IP, at: ms, sentAt, prefetchMs: 10_000 });
    expect(classifyHit(lists, { ua: CHROME, ip: '17.1.1.1', at: 100_000, sentAt: 0, prefetchMs: 10_000 })).toEqual({
      bot: 'apple',
      reason: 'ip',
    });
    expect(at(5_000, 0)).toEqual({ bot: 'generic', reason: 'prefetch' });
    expect(at(50_000, 0)).toEqual({ bot: '', reason: '' });
    expect(at(50_000, null)).toEqual({ bot: 'generic', reason: 'prefetch' });
    expect(at(50_000, 50_500)).toEqual({ bot: 'generic', reason: 'prefetch' }); // the hit beat the commit of the send
  });
});

describe('scanner lists as configuration', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-lists-'));
  const agents = path.join(dir, 'agents.txt');
  const ranges = path.join(dir, 'ranges.txt');
  fs.writeFileSync(
    agents,
    '# our own gateway\nAcmeLinkGuard        generic     the gateway in front of our customers\n',
  );
  fs.writeFileSync(ranges, '192.0.2.0/24         proofpoint  a Proofpoint cluster we saw\n');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the shipped files by default, and every file listed, in order', () => {
    expect(loadConfig({})).toMatchObject({
      scannerAgentsFiles: [SHIPPED_SCANNER_AGENTS],
      scannerRangesFiles: [SHIPPED_SCANNER_RANGES],
    });
    const config = loadConfig({
      TAIFA_SCANNER_AGENTS_FILE: `${SHIPPED_SCANNER_AGENTS},${agents}`,
      TAIFA_SCANNER_RANGES_FILE: ranges,
    });
    const lists = loadScannerLists({ agents: config.scannerAgentsFiles, ranges: config.scannerRangesFiles });
    expect(lists.agent('Mozilla/5.0 AcmeLinkGuard/2.1')).toBe('generic');
    expect(lists.agent('GoogleImageProxy')).toBe('gmail');
    expect(lists.address('192.0.2.44')).toBe('proofpoint');
    expect(lists.address('17.1.1.1')).toBeNull(); // the shipped ranges were replaced, not added to
    expect(() => loadConfig({ TAIFA_SCANNER_AGENTS_FILE: path.join(dir, 'missing.txt') })).toThrow(ConfigError);
    fs.writeFileSync(path.join(dir, 'bad.txt'), 'NoCategoryHere\n');
    expect(() => loadScannerLists({ agents: [path.join(dir, 'bad.txt')], ranges: [] })).toThrow(/bad\.txt: bad line/);
  });

  describe.each(testDatabases())('on a running server on %s', (kind) => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(kind, {
        TAIFA_SANDBOX: 'true',
        TAIFA_SCANNER_AGENTS_FILE: `${SHIPPED_SCANNER_AGENTS},${agents}`,
      });
      await sandboxSender(t);
    });
    afterAll(async () => t?.close());

    it('honours an extra list file', async () => {
      const e = await sendTracked(t);
      await hit(t, e.pixel, 'Mozilla/5.0 (Windows NT 10.0) AcmeLinkGuard/2.1');
      await hit(t, e.pixel, 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)');
      const d = await waitEvents(t, e.id, 2);
      expect(engagement(d)).toEqual([
        ['open', 'generic', 'ua', false],
        ['open', 'gmail', 'ua', false],
      ]);
      expect(d.opened_count).toBe(0);
    });
  });
});
