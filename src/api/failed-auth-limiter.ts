import ipaddr from 'ipaddr.js';
import { TtlCache } from '../ttl-cache.js';
import { FailureWindows } from './failure-windows.js';

/** How long a window of failures lasts, in ms: the limit is so many failures per minute. */
const WINDOW_MS = 60_000;
/** Clients tracked at once; past it, the oldest windows are dropped. */
const MAX_ADDRESSES = 100_000;
/** How long a key that authenticated stays known, in ms (a day), and how many are kept. */
const KNOWN_KEY_MS = 24 * 3_600_000;
const MAX_KNOWN_KEYS = 10_000;

/**
 * Who a client is for the count: its IPv4 address, or the /64 of its IPv6 address (one host or home usually holds a
 * whole /64, so counting single IPv6 addresses would let it try 2^64 times).
 */
export function clientOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip); // an IPv4-mapped IPv6 address becomes the IPv4 one
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

/**
 * Limits failed authentication per client address, in this process's memory: after `maxFailures` failures within a
 * minute of the first, the address is blocked until that minute ends. A blocked address gets 429 for any request
 * without a key, or with a key this process has not seen authenticate in the last day, before the key is looked up;
 * a key that has authenticated (from any address) is still checked as usual, so that someone else's failures from a
 * shared address (a NAT, an office) do not lock out the clients that already work from it. A key no one has used on
 * this process yet waits out the block like any guess would.
 */
export class FailedAuthLimiter {
  private readonly failures: FailureWindows;
  private readonly knownKeys = new TtlCache<true>(KNOWN_KEY_MS, MAX_KNOWN_KEYS);

  /** `maxFailures`: failures per minute before an address is blocked; 0 turns the limit off. */
  constructor(private readonly maxFailures: number) {
    this.failures = new FailureWindows(maxFailures, WINDOW_MS, MAX_ADDRESSES);
  }

  /** Seconds until `ip` may try unknown keys again, or 0 when it is not blocked. */
  blockedForSeconds(ip: string, now = Date.now()): number {
    return this.failures.blockedForSeconds(clientOf(ip), now);
  }

  /** Counts a failed authentication from `ip`. */
  recordFailure(ip: string, now = Date.now()): void {
    this.failures.recordFailure(clientOf(ip), now);
  }

  /** Remembers a key (by its hash) that authenticated, so that it still gets through from a blocked address. */
  recordSuccess(keyHash: string, now = Date.now()): void {
    if (this.maxFailures !== 0 && !this.knownKeys.get(keyHash, now)) this.knownKeys.set(keyHash, true, now);
  }

  /** Whether a key (by its hash) authenticated on this process in the last day. */
  isKnownKey(keyHash: string, now = Date.now()): boolean {
    return this.knownKeys.get(keyHash, now) !== undefined;
  }
}
