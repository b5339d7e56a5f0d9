import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { hostLookup } from '../../src/dns/resolver.js';
import {
  checkWebhookTarget,
  forbiddenKind,
  guardedConnector,
  guardedLookup,
  isForbiddenAddress,
  type TargetGuardOptions,
} from '../../src/webhooks/target-guard.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';

const FORBIDDEN: Array<[ip: string, why: string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.255', 'carrier-grade NAT'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified (0/8)'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.1', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['192.0.0.192', 'IETF protocol assignments (a metadata address)'],
  ['2130706433', '127.0.0.1 as one number'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fe80::1', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd00:ec2::254', 'unique-local (cloud metadata)'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::ffff:0:127.0.0.1', 'IPv4-translated loopback'],
  ['64:ff9b::7f00:1', 'NAT64 of loopback'],
  ['64:ff9b::a00:1', 'NAT64 of private'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
  ['64:ff9b:1::1', 'local-use NAT64'],
  ['2002:7f00:1::1', '6to4 of loopback'],
  ['2002:a00:1::1', '6to4 of private'],
  ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
  ['2001::1', 'Teredo'],
  ['not-an-ip', 'not an address'],
  ['', 'empty'],
];

const ALLOWED = [
  '93.184.215.14',
  '8.8.8.8',
  '1.1.1.1',
  '11.0.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '172.15.255.255',
  '172.32.0.1',
  '192.169.0.1',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('isForbiddenAddress', () => {
  it.each(FORBIDDEN)('refuses %s (%s)', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each(ALLOWED)('allows the public address %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });

  it('says what kind of address it refused', () => {
    expect(forbiddenKind('127.0.0.1')).toBe('a loopback address');
    expect(forbiddenKind('169.254.169.254')).toBe('a link-local address (cloud metadata)');
    expect(forbiddenKind('::ffff:10.0.0.1')).toBe('a private address (10.0.0.1) in IPv6 form');
    expect(forbiddenKind('8.8.8.8')).toBeNull();
  });
});

/** A look-up's answer, or its error, as one value. */
function lookUp(
  lookup: ReturnType<typeof guardedLookup>,
  host: string,
  options: { all?: boolean; family?: number } = {},
): Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }> {
  return new Promise((resolve) =>
    lookup(host, options, (error, address, family) => resolve({ error, address, family })),
  );
}

describe('the guard on names, through a loopback DNS server', () => {
  let dns: DnsServer;
  let http1: http.Server;
  let port: number;
  let hits = 0;
  let guard: TargetGuardOptions;
  beforeAll(async () => {
    dns = await startDnsServer({
      a: {
        'internal.test': ['127.0.0.1'],
        'public.test': ['93.184.215.14'],
        'mixed.test': ['93.184.215.14', '10.0.0.5'],
        'metadata.test': ['169.254.169.254'],
      },
      aaaa: { 'public.test': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'], 'v6-loopback.test': ['::1'] },
    });
    guard = { allowPrivate: false, lookup: hostLookup([dns.address]) };
    http1 = http.createServer((_req, res) => {
      hits += 1;
      res.end('ok');
    });
    await new Promise<void>((r) => http1.listen(0, '127.0.0.1', r));
    port = (http1.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await dns?.close();
    await new Promise((r) => http1?.close(r));
  });

  it('guardedLookup refuses a name resolving to a forbidden address, in both forms of dns.lookup', async () => {
    const lookup = guardedLookup(guard);
    for (const options of [{}, { all: true }, { family: 4 }]) {
      const r = await lookUp(lookup, 'internal.test', options);
      expect(r.error?.code).toBe('ERR_WEBHOOK_TARGET_FORBIDDEN');
      expect(r.error?.message).toBe(
        'internal.test is a loopback address (127.0.0.1): webhooks may only target public addresses',
      );
    }
    expect((await lookUp(lookup, 'metadata.test')).error?.code).toBe('ERR_WEBHOOK_TARGET_FORBIDDEN');
    expect((await lookUp(lookup, 'v6-loopback.test', { all: true })).error?.code).toBe('ERR_WEBHOOK_TARGET_FORBIDDEN');
    // One forbidden address among public ones is enough.
    expect((await lookUp(lookup, 'mixed.test', { all: true })).error?.code).toBe('ERR_WEBHOOK_TARGET_FORBIDDEN');
    expect((await lookUp(lookup, 'nowhere.test')).error?.code).toBe('ENOTFOUND');
  });

  it('guardedLookup answers a public name as dns.lookup does', async () => {
    const lookup = guardedLookup(guard);
    const all = await lookUp(lookup, 'public.test', { all: true });
    expect(all.error).toBeNull();
    expect(all.address).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ]);
    expect(await lookUp(lookup, 'public.test', { family: 6 })).toEqual({
      error: null,
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
    expect(await lookUp(lookup, 'public.test')).toEqual({ error: null, address: '93.184.215.14', family: 4 });
  });

  it('lets everything through with allowPrivate', async () => {
    const lookup = guardedLookup({ ...guard, allowPrivate: true });
    expect(await lookUp(lookup, 'internal.test')).toEqual({ error: null, address: '127.0.0.1', family: 4 });
    await expect(
      checkWebhookTarget('http://internal.test/', { ...guard, allowPrivate: true }),
    ).resolves.toBeUndefined();
  });

  it('refuses at connect time, on the address connected to, and connects with allowPrivate', async () => {
    const refused = [
      new Agent({ connect: { lookup: guardedLookup(guard) } }),
      new Agent({ connect: guardedConnector(guard) }),
    ];
    for (const dispatcher of refused) {
      const error = await request(`http://internal.test:${port}/`, { dispatcher }).catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).toBe('ERR_WEBHOOK_TARGET_FORBIDDEN');
      await dispatcher.close();
    }
    // An address in the URL is connected to without a look-up: the connector judges it itself.
    const connector = new Agent({ connect: guardedConnector(guard) });
    for (const url of [`http://127.0.0.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      const error = await request(url, { dispatcher: connector }).catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).toBe('ERR_WEBHOOK_TARGET_FORBIDDEN');
    }
    await connector.close();
    expect(hits).toBe(0);

    const allowed = new Agent({ connect: guardedConnector({ ...guard, allowPrivate: true }) });
    for (const url of [`http://internal.test:${port}/`, `http://127.0.0.1:${port}/`]) {
      const r = await request(url, { dispatcher: allowed });
      expect([url, r.statusCode, await r.body.text()]).toEqual([url, 200, 'ok']);
    }
    await allowed.close();
    expect(hits).toBe(2);
  });

  it('checkWebhookTarget answers a 422 naming url, saying why', async () => {
    const refusal = async (url: string) => {
      const e = await checkWebhookTarget(url, guard).then(
        () => null,
        (error: unknown) => error,
      );
      expect(e).toBeInstanceOf(AppError);
      const app = e as AppError;
      expect(app.status).toBe(422);
      expect(app.errors?.map((x) => x.field)).toEqual(['url']);
      return app.errors?.[0]?.error;
    };
    expect(await refusal('http://127.0.0.1/')).toBe('is a loopback address: webhooks may only target public addresses');
    expect(await refusal('http://[::ffff:127.0.0.1]/')).toBe(
      'is a loopback address (127.0.0.1) in IPv6 form: webhooks may only target public addresses',
    );
    expect(await refusal('https://internal.test/hook')).toBe(
      'resolves to 127.0.0.1, a loopback address: webhooks may only target public addresses',
    );
    expect(await refusal('https://mixed.test/hook')).toBe(
      'resolves to 10.0.0.5, a private address: webhooks may only target public addresses',
    );
    expect(await refusal('https://nowhere.test/hook')).toBe('host nowhere.test does not resolve to an address');
    await expect(checkWebhookTarget('https://public.test/hook', guard)).resolves.toBeUndefined();
    await expect(checkWebhookTarget('https://8.8.8.8/hook', guard)).resolves.toBeUndefined();
  });
});
