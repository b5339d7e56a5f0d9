import { describe, expect, it } from 'vitest';
import { clientOf, FailedAuthLimiter } from '../../src/api/failed-auth-limiter.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('the failed-authentication limiter', () => {
  it('blocks an address after N failures until a minute after the first, then forgets it', () => {
    const limiter = new FailedAuthLimiter(3);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blockedForSeconds('203.0.113.1', T0 + i * 1000)).toBe(0);
      limiter.recordFailure('203.0.113.1', T0 + i * 1000);
    }
    expect(limiter.blockedForSeconds('203.0.113.1', T0 + 2_000)).toBe(58);
    expect(limiter.blockedForSeconds('203.0.113.1', T0 + 59_500)).toBe(1);
    expect(limiter.blockedForSeconds('203.0.113.2', T0 + 2_000)).toBe(0);
    // The window ended: the address starts again from nothing.
    expect(limiter.blockedForSeconds('203.0.113.1', T0 + 60_000)).toBe(0);
    limiter.recordFailure('203.0.113.1', T0 + 60_000);
    expect(limiter.blockedForSeconds('203.0.113.1', T0 + 60_001)).toBe(0);
  });

  it('remembers keys that authenticated for a day', () => {
    const limiter = new FailedAuthLimiter(3);
    limiter.recordSuccess('hash-a', T0);
    expect(limiter.isKnownKey('hash-a', T0 + 23 * 3_600_000)).toBe(true);
    expect(limiter.isKnownKey('hash-b', T0)).toBe(false);
    expect(limiter.isKnownKey('hash-a', T0 + 24 * 3_600_000)).toBe(false);
  });

  it('limits nothing when the limit is 0', () => {
    const limiter = new FailedAuthLimiter(0);
    for (let i = 0; i < 1000; i++) limiter.recordFailure('203.0.113.1', T0);
    expect(limiter.blockedForSeconds('203.0.113.1', T0)).toBe(0);
  });

  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['not an address', 'not an address'],
  ])('counts %s as %s', (ip, client) => {
    expect(clientOf(ip)).toBe(client);
  });
});
