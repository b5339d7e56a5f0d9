/**
 * The SSRF guard of webhook targets: a customer names a URL and we post to it from inside our network,
 * so a URL that leads to a private, loopback, link-local (cloud metadata), multicast or otherwise
 * special address is refused — when the endpoint is created or changed (checkWebhookTarget, a 422 naming
 * `url`) and again when each delivery connects (guardedConnector, guardedLookup), on the address actually
 * connected to, so that a name re-pointed after the check (DNS rebinding) gains nothing. Deliveries follow
 * no redirects. TAIFA_ALLOW_PRIVATE_WEBHOOKS=true lets everything through (tests, private installations).
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';
import { errors } from '../core/errors.js';
import { dnsErrorCode, NOT_FOUND_CODES, type HostLookup } from '../dns/resolver.js';

/** What the guard needs: the operator's switch, and how host names are resolved (dns/resolver.ts `hostLookup`). */
export interface TargetGuardOptions {
  /** TAIFA_ALLOW_PRIVATE_WEBHOOKS: every address is allowed. */
  allowPrivate: boolean;
  lookup: HostLookup;
}

/** How each forbidden range of ipaddr.js reads in a refusal ("… is a loopback address"). */
const RANGE_WORDS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  uniqueLocal: 'a unique-local address',
  deprecatedSiteLocal: 'a site-local address',
  reserved: 'a reserved address',
  teredo: 'a Teredo tunnel address',
};

/** NAT64's well-known prefix: the IPv4 address in the last 32 bits is the one reached (RFC 6052). */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/** The IPv4 address an IPv6 one stands for (mapped, translated, NAT64, 6to4), if it stands for one. */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = a.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || a.match(NAT64)) return v4(p[6]!, p[7]!);
  if (range === '6to4') return v4(p[1]!, p[2]!);
  return null;
}

/**
 * Why an address may not be a webhook target ('a loopback address', …), or null for a public unicast
 * one. Anything ipaddr.js does not call `unicast` is refused, and so is what is not an address at all;
 * an IPv6 address carrying an IPv4 one is judged by the IPv4 one.
 */
export function forbiddenKind(ip: string): string | null {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  const parsed = ipaddr.parse(ip);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const inner = embeddedIPv4(v6);
    if (inner) {
      const kind = forbiddenKind(inner.toString());
      return kind && `${kind} (${inner.toString()}) in IPv6 form`;
    }
    // ::/8 is reserved beyond the forms above (IPv4-compatible ::a.b.c.d is deprecated): nothing to post to.
    if (v6.parts[0]! < 0x100 && v6.range() === 'unicast') return 'a reserved address';
  }
  const range = parsed.range();
  if (range === 'unicast') return null;
  const words = RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
  return ip === '169.254.169.254' ? `${words} (cloud metadata)` : words;
}

/** Whether an address may not be a webhook target: private, loopback, link-local, multicast, reserved… */
export function isForbiddenAddress(ip: string): boolean {
  return forbiddenKind(ip) !== null;
}

/** The refusal of a connection to a forbidden address; `code` as Node's network errors have one. */
export class ForbiddenTargetError extends Error {
  readonly code = 'ERR_WEBHOOK_TARGET_FORBIDDEN';
  constructor(
    readonly host: string,
    readonly address: string,
    kind: string,
  ) {
    super(`${host} is ${kind} (${address}): webhooks may only target public addresses`);
    this.name = 'ForbiddenTargetError';
  }
}

/** A URL's host as an address or a name: IPv6 without its brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Why a host name could not be resolved, as a sentence's end. */
function lookupFailure(host: string, error: unknown): string {
  const code = dnsErrorCode(error);
  return NOT_FOUND_CODES.has(code) || code === ''
    ? `host ${host} does not resolve to an address`
    : `host ${host} could not be resolved (${code})`;
}

/**
 * Checks a webhook URL's target when the endpoint is created or its URL changed: an address in the URL is
 * judged as it is, a name by every address it resolves to (A and AAAA) — one forbidden address is enough
 * to refuse it. 422 naming `url`, saying why; an unresolvable host is a 422 too. With `allowPrivate`,
 * nothing is looked up or refused.
 */
export async function checkWebhookTarget(url: string, opts: TargetGuardOptions): Promise<void> {
  if (opts.allowPrivate) return;
  const refuse = (error: string) => errors.validation([{ field: 'url', error }]);
  let host: string;
  try {
    host = hostOf(new URL(url));
  } catch {
    throw refuse('must be an absolute http or https URL');
  }
  if (net.isIP(host)) {
    const kind = forbiddenKind(host);
    if (kind) throw refuse(`is ${kind}: webhooks may only target public addresses`);
    return;
  }
  let addresses: string[];
  try {
    addresses = await opts.lookup(host);
  } catch (error) {
    throw refuse(lookupFailure(host, error));
  }
  for (const address of addresses) {
    const kind = forbiddenKind(address);
    if (kind) throw refuse(`resolves to ${address}, ${kind}: webhooks may only target public addresses`);
  }
}

/** The family a look-up asks for: 4, 6 or 0 for either. */
function familyOf(options: LookupOptions): 0 | 4 | 6 {
  const f = options.family;
  return f === 4 || f === 'IPv4' ? 4 : f === 6 || f === 'IPv6' ? 6 : 0;
}

/** A name's addresses, all of them allowed, else the refusal or the look-up's error. */
async function allowedAddresses(host: string, opts: TargetGuardOptions): Promise<LookupAddress[]> {
  const addresses = net.isIP(host) ? [host] : await opts.lookup(host);
  if (!opts.allowPrivate)
    for (const address of addresses) {
      const kind = forbiddenKind(address);
      if (kind) throw new ForbiddenTargetError(host, address, kind);
    }
  return addresses.map((address) => ({ address, family: net.isIP(address) }));
}

/**
 * A look-up with the signature of `dns.lookup` (the one-address form and the `all: true` form Node's
 * connection attempts use) that resolves as the guard does and fails with a ForbiddenTargetError when any
 * address of the name is forbidden. Given to the sockets of deliveries (`Agent({ connect: { lookup } })`),
 * it judges the addresses the socket then connects to.
 */
export function guardedLookup(opts: TargetGuardOptions): LookupFunction {
  return (hostname, options, callback) => {
    allowedAddresses(hostname, opts).then(
      (all) => {
        const family = familyOf(options);
        const addresses = family ? all.filter((a) => a.family === family) : all;
        const first = addresses[0];
        if (!first)
          callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '');
        else if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all ? [] : ''),
    );
  };
}

/**
 * An undici connector for deliveries (`new Agent({ connect: guardedConnector(opts, { timeout }) })`): names
 * go through guardedLookup, and an address written in the URL — which Node connects to without a look-up —
 * is judged before connecting.
 */
export function guardedConnector(
  opts: TargetGuardOptions,
  connectOptions: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const connect = buildConnector({ ...connectOptions, lookup: guardedLookup(opts) });
  return (options, callback) => {
    const host = options.hostname.startsWith('[') ? options.hostname.slice(1, -1) : options.hostname;
    const kind = net.isIP(host) && !opts.allowPrivate ? forbiddenKind(host) : null;
    if (kind) callback(new ForbiddenTargetError(host, host, kind), null);
    else connect(options, callback);
  };
}
