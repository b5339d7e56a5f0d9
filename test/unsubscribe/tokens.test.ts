import { describe, expect, it } from 'vitest';
import { TrackingTokens, UnsubscribeTokens } from '../../src/tracking/tokens.js';

const EMAIL = '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b';
const RECIPIENT = '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6c';

describe('unsubscribe tokens', () => {
  const tokens = new UnsubscribeTokens('secret');

  it('round-trips the recipient and the scope, and fits a mailbox local part', () => {
    for (const tagOnly of [false, true]) {
      const token = tokens.sign({ recipientId: RECIPIENT, tagOnly });
      expect(tokens.verify(token)).toEqual({ recipientId: RECIPIENT, tagOnly });
      expect(`unsubscribe+${token}`.length).toBeLessThanOrEqual(64);
      expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    }
  });

  it('refuses altered, truncated, foreign-secret and tracking tokens', () => {
    const token = tokens.sign({ recipientId: RECIPIENT, tagOnly: false });
    const flipped = (at: number) => token.slice(0, at) + (token.charAt(at) === 'A' ? 'B' : 'A') + token.slice(at + 1);
    expect(tokens.verify(flipped(0))).toBeNull(); // the scope
    expect(tokens.verify(flipped(10))).toBeNull(); // the recipient
    expect(tokens.verify(flipped(token.length - 3))).toBeNull(); // the MAC
    expect(tokens.verify(token.slice(0, -1))).toBeNull();
    expect(tokens.verify('')).toBeNull();
    expect(new UnsubscribeTokens('other').verify(token)).toBeNull();
    const open = new TrackingTokens('secret').sign({ kind: 'open', emailId: EMAIL, recipientId: RECIPIENT });
    expect(tokens.verify(open)).toBeNull();
    expect(new TrackingTokens('secret').verify(token, 'open')).toBeNull();
    expect(new TrackingTokens('secret').verify(token, 'click')).toBeNull();
  });
});
