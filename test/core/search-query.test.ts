import { describe, expect, it } from 'vitest';
import { addressTokens, fieldTokenGroups, parseSearchQuery, searchTokens } from '../../src/core/search-query.js';

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
        'from:billing@',
        'from:acme.io',
        'domain:acme.io',
        'to:jane@gmail.com',
        'to:jane@',
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

  it('reads an address token as a whole address, a domain, a local part, or either part', () => {
    expect(addressTokens('to', 'JANE@Example.org')).toEqual(['to:jane@example.org']);
    expect(addressTokens('to', '@example.org')).toEqual(['to:example.org']);
    expect(addressTokens('to', 'jane@')).toEqual(['to:jane@']);
    expect(addressTokens('from', 'hello')).toEqual(['from:hello@', 'from:hello']);
    expect(addressTokens('to', 'example.org')).toEqual(['to:example.org@', 'to:example.org']);
    // The local part is what comes before the last @, as the index splits it.
    expect(addressTokens('to', '"a@b"@c.test')).toEqual(['to:"a@b"@c.test']);
    expect(addressTokens('to', '@')).toEqual([]);
  });

  it('finds every spelling of an address among the tokens its email is indexed by', () => {
    const tokens = searchTokens({
      fromEmail: 'Hello@Example.com',
      fromName: null,
      subject: 'Hi',
      recipients: ['Jane@Example.org'],
      tags: [],
    });
    for (const [field, value] of [
      ['to', 'jane'],
      ['to', 'JANE@Example.org'],
      ['to', '@example.org'],
      ['to', 'example.org'],
      ['to', 'jane@'],
      ['from', 'hello'],
      ['from', '@example.com'],
    ] as const)
      expect([value, addressTokens(field, value).some((tok) => tokens.includes(tok))]).toEqual([value, true]);
    for (const [field, value] of [
      ['to', 'jan'],
      ['to', 'jane@example'],
      ['to', '@example'],
      ['to', 'example'],
      ['from', 'jane'],
      ['to', 'hello'],
    ] as const)
      expect([value, addressTokens(field, value).some((tok) => tokens.includes(tok))]).toEqual([value, false]);
  });

  it('groups field tokens: values of one field are alternatives, the tag parameter joins the tag: values', () => {
    expect(
      fieldTokenGroups(parseSearchQuery('to:jane to:@corp.test from:hello@x.test tag:a status:sent'), 'B'),
    ).toEqual([['to:jane@', 'to:jane', 'to:corp.test'], ['from:hello@x.test'], ['tag:a', 'tag:b']]);
    expect(fieldTokenGroups(parseSearchQuery('to:@ welcome'))).toEqual([]);
  });
});
