import { describe, expect, it } from 'vitest';
import { TrackingTokens, UnsubscribeTokens } from '../../src/tracking/tokens.js';

// While TAIFA_SECRET_PREVIOUS is set, the links of mail signed before the change keep working.
describe('tokens signed with the previous secret', () => {
  const emailId = '0190a0a0-0000-7000-8000-000000000001';
  const recipientId = '0190a0a0-0000-7000-8000-000000000002';
  const click = { kind: 'click' as const, emailId, recipientId, url: 'https://example.com/a' };

  it('verify while the previous secret is kept, and not once it is dropped', () => {
    const old = new TrackingTokens('old-secret').sign(click);
    const oldUnsubscribe = new UnsubscribeTokens('old-secret').sign({ recipientId, tagOnly: false });
    expect(new TrackingTokens('new-secret', 'old-secret').verify(old, 'click')).toEqual(click);
    expect(new UnsubscribeTokens('new-secret', 'old-secret').verify(oldUnsubscribe)).toEqual({
      recipientId,
      tagOnly: false,
    });
    expect(new TrackingTokens('new-secret').verify(old, 'click')).toBeNull();
    expect(new UnsubscribeTokens('new-secret').verify(oldUnsubscribe)).toBeNull();
    // New mail is signed with the new secret, and another secret's tokens are refused.
    const fresh = new TrackingTokens('new-secret', 'old-secret').sign(click);
    expect(new TrackingTokens('new-secret').verify(fresh, 'click')).toEqual(click);
    expect(new TrackingTokens('other', 'old-secret').verify(fresh, 'click')).toBeNull();
  });
});
