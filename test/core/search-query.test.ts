import { describe, expect, it } from 'vitest';
import { parseSearchQuery, searchTokens } from '../../src/core/search-query.js';

describe('the search query parser', () => {
  it('returns nothing for an empty query', () => {
    expect(parseSearchQuery('')).toEqual({ text: [], to: [], from: [], status: [], domain: [], tag: [] });
    expect(parseSearchQuery('   ').text).toEqual([]);
  });

  it('maps inline tokens to filters and leaves the rest as free text', () => {
    expect(
      parseSearchQuery(
        'welcome status:delivered to:gmail.com from:hello@govconnect.ke domain:govconnect.ke tag:onboarding',
      ),
    ).toEqual({
      text: [{ kind: 'word', value: 'welcome' }],
      to: ['gmail.com'],
      from: ['hello@govconnect.ke'],
      status: ['delivered'],
      domain: ['govconnect.ke'],
      tag: ['onboarding'],
    });
  });

  it('reads token names case-insensitively and keeps repeated tokens', () => {
    const q = parseSearchQuery('STATUS:Bounced Tag:a tag:b');
    expect(q.status).toEqual(['bounced']);
    expect(q.tag).toEqual(['a', 'b']);
  });

  it('keeps quoted phrases together, also as token values', () => {
    const q = parseSearchQuery('"Password reset" receipt tag:"black friday"');
    expect(q.text).toEqual([
      { kind: 'phrase', value: 'password reset' },
      { kind: 'word', value: 'receipt' },
    ]);
    expect(q.tag).toEqual(['black friday']);
  });

  it('treats unknown tokens and stray quotes as text', () => {
    expect(parseSearchQuery('foo:bar').text.map((t) => t.value)).toEqual(['foo', 'bar']);
    expect(parseSearchQuery('invoice "unclosed').text).toEqual([
      { kind: 'word', value: 'invoice' },
      { kind: 'word', value: 'unclosed' },
    ]);
    expect(parseSearchQuery('to:').to).toEqual([]);
  });

  it('splits free text into index words (punctuation dropped, addresses kept whole)', () => {
    expect(parseSearchQuery('Hello, World! jane@example.com').text.map((t) => t.value)).toEqual([
      'hello',
      'world',
      'jane@example.com',
    ]);
  });

  it('indexes addresses, domains, tags and subject words', () => {
    const tokens = searchTokens({
      fromEmail: 'Billing@Acme.io',
      fromName: 'Acme Billing',
      subject: 'Your receipt #123',
      recipients: ['jane@gmail.com'],
      tags: ['Receipt'],
    });
    expect(tokens).toEqual(
      expect.arrayContaining([
        'from:billing@acme.io',
        'from:acme.io',
        'domain:acme.io',
        'to:jane@gmail.com',
        'to:gmail.com',
        'tag:receipt',
        'jane',
        'gmail.com',
        'your',
        'receipt',
        '123',
      ]),
    );
    expect(tokens.slice(-3)).toEqual(['your', 'receipt', '123']);
  });
});
