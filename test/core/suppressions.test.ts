import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/core/csv.js';
import { suppressionKey } from '../../src/core/suppression-address.js';
import { checkSuppression } from '../../src/core/suppression-input.js';
import {
  decideSuppressed,
  isHardBounce,
  suppressionFor,
  suppressionSentence,
  type Suppression,
} from '../../src/core/suppression-rules.js';

const DAY = Date.parse('2026-12-03T10:00:00Z');
const row = (s: Partial<Suppression>): Suppression => ({
  account_id: 'acc',
  type: 'bounce',
  key: 'bob@x.test',
  domain: '',
  tag: '',
  created_at: DAY,
  ...s,
});
const scope = { accountId: 'acc', domain: 'brand-a.test', tags: ['news'] };

describe('suppression keys: the local part exactly, the domain in any case', () => {
  it.each<[string, string | null]>([
    ['Bob@Example.COM', 'Bob@example.com'],
    ['bob@example.com', 'bob@example.com'],
    ['  bob@EXAMPLE.com ', 'bob@example.com'],
    ['not an address', null],
    ['', null],
  ])('%j → %j', (address, key) => {
    expect(suppressionKey(address)).toBe(key);
  });
});

describe('which suppression stops a recipient', () => {
  it.each<[string, Suppression[], string | null]>([
    ['a bounce, whatever the domain', [row({})], 'bounce'],
    ['a complaint, whatever the domain', [row({ type: 'complaint' })], 'complaint'],
    ['an unsubscribe from this domain', [row({ type: 'unsubscribe', domain: 'brand-a.test' })], 'unsubscribe'],
    ['not an unsubscribe from another domain', [row({ type: 'unsubscribe', domain: 'brand-b.test' })], null],
    [
      'an unsubscribe from a tag the email has',
      [row({ type: 'unsubscribe', domain: 'brand-a.test', tag: 'news' })],
      'unsubscribe',
    ],
    ['not one from a tag it lacks', [row({ type: 'unsubscribe', domain: 'brand-a.test', tag: 'promo' })], null],
    ['not another account', [row({ account_id: 'other' })], null],
    ['not another local part', [row({ key: 'Bob@x.test' })], null],
  ])('%s', (_what, rows, type) => {
    expect(suppressionFor('bob@x.test', scope, rows)?.type ?? null).toBe(type);
  });

  it('names the widest list when several match', () => {
    const rows = [row({ type: 'unsubscribe', domain: 'brand-a.test' }), row({ type: 'complaint' })];
    expect(suppressionFor('bob@x.test', scope, rows)?.type).toBe('complaint');
  });

  it('says which list, which scope and since when', () => {
    expect(suppressionSentence('bob@x.test', row({}))).toBe('bob@x.test is on the bounce list since 2026-12-03.');
    expect(suppressionSentence('bob@x.test', row({ type: 'unsubscribe', domain: 'brand-a.test', tag: 'news' }))).toBe(
      'bob@x.test is on the unsubscribe list for mail from brand-a.test tagged "news" since 2026-12-03.',
    );
    expect(decideSuppressed('bob@x.test', row({ type: 'unsubscribe', domain: 'brand-a.test' }))).toMatchObject({
      status: 'rejected',
      nextAttemptAt: null,
      events: [
        {
          type: 'rejected',
          metadata: { suppression: { type: 'unsubscribe', scope: 'domain', domain: 'brand-a.test', tag: null } },
        },
      ],
    });
  });
});

describe('hard bounces', () => {
  it.each<[Record<string, unknown>, boolean]>([
    [{ bounce_type: 'hard' }, true],
    [{ bounce_type: 'soft' }, false],
    [{ hard: true, bounce_type: 'hard' }, true],
    [{ hard: false, bounce_type: 'hard' }, false],
    [{ hard: true }, true],
  ])('%j → %s', (metadata, hard) => {
    expect(isHardBounce([{ type: 'bounced', metadata }])).toBe(hard);
  });
  it('only on a bounced event', () => {
    expect(isHardBounce([{ type: 'deferred', metadata: { bounce_type: 'hard' } }])).toBe(false);
  });
});

describe('checking a suppression', () => {
  it('needs a domain for an unsubscribe, and refuses one for the other lists', () => {
    expect(checkSuppression({ address: 'a@b.test', type: 'unsubscribe' })).toMatchObject({
      ok: false,
      errors: [{ field: 'domain' }],
    });
    expect(checkSuppression({ address: 'a@b.test', type: 'bounce', domain: 'x.test' })).toMatchObject({
      ok: false,
      errors: [{ field: 'domain' }],
    });
    expect(checkSuppression({ address: 'A@B.test', type: 'Unsubscribe', domain: 'Brand.TEST', tag: 'n' })).toEqual({
      ok: true,
      value: {
        type: 'unsubscribe',
        address: 'A@B.test',
        key: 'A@b.test',
        domain: 'brand.test',
        tag: 'n',
        reason: null,
      },
    });
    expect(checkSuppression({ address: 'nope', type: 'spam' })).toMatchObject({
      ok: false,
      errors: [{ field: 'address' }, { field: 'type' }],
    });
  });
});

describe('CSV (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and skips blank lines', () => {
    const text = 'address,reason\r\n"a@b.test","said ""stop"", twice"\n\nc@d.test,"two\nlines"\nlast@e.test,';
    expect(parseCsv(text)).toEqual({
      records: [
        { line: 1, fields: ['address', 'reason'] },
        { line: 2, fields: ['a@b.test', 'said "stop", twice'] },
        { line: 4, fields: ['c@d.test', 'two\nlines'] },
        { line: 6, fields: ['last@e.test', ''] },
      ],
      errors: [],
    });
  });

  it('reports a broken line by number and reads on', () => {
    const { records, errors } = parseCsv('a,b\nx"y,z\n"q"r,s\nok,1\n"open,2');
    expect(records.map((r) => r.line)).toEqual([1, 4]);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 5]);
  });
});
