import { describe, expect, it } from 'vitest';
import { classifyHit, type ScannerLists } from '../../src/core/bot-classification.js';
import { domainStatusOf, isDomainName, recordMatches } from '../../src/core/domain-records.js';
import { parseStatuses } from '../../src/core/email-status.js';
import { limitsFor, usagePeriods } from '../../src/core/plans.js';
import type { DomainRecord, RecordStatus } from '../../src/model.js';

// The rules of src/core, as tables: each row an input and what the rule makes of it.

const record = (purpose: DomainRecord['purpose'], status: RecordStatus, required: boolean): DomainRecord => ({
  type: 'TXT',
  name: 'example.com',
  value: '',
  purpose,
  required,
  status,
});

describe('a domain is verified once every required record matches', () => {
  it.each<[string, DomainRecord[], 'pending' | 'verified' | 'failed', string]>([
    [
      'all required verified',
      [record('dkim', 'verified', true), record('spf', 'verified', true)],
      'pending',
      'verified',
    ],
    [
      'an optional one missing',
      [record('dkim', 'verified', true), record('dmarc', 'missing', false)],
      'failed',
      'verified',
    ],
    [
      'a required one missing',
      [record('dkim', 'verified', true), record('spf', 'missing', true)],
      'verified',
      'failed',
    ],
    ['a required one mismatched', [record('dkim', 'mismatch', true)], 'pending', 'failed'],
    ['DNS failed for a moment: keeps what it was', [record('dkim', 'temporary_failure', true)], 'verified', 'verified'],
    ['DNS failed for a moment, never verified', [record('spf', 'temporary_failure', true)], 'pending', 'pending'],
  ])('%s', (_what, records, previous, expected) => {
    expect(domainStatusOf(records, previous)).toBe(expected);
  });
});

describe('what counts as a published record', () => {
  const expected = (purpose: DomainRecord['purpose'], value: string): DomainRecord => ({
    ...record(purpose, 'pending', true),
    value,
  });
  it.each<[DomainRecord, string, boolean]>([
    [expected('spf', 'v=spf1 a:mta.example.net ~all'), 'v=spf1 include:_spf.google.com a:mta.example.net -all', true],
    [expected('spf', 'v=spf1 a:mta.example.net ~all'), 'v=spf1 include:_spf.google.com -all', false],
    [expected('spf', 'v=spf1 a:mta.example.net ~all'), 'v=spf1 +a:MTA.example.net', true],
    [expected('dkim', 'v=DKIM1; k=rsa; p=AAAB'), 'v=DKIM1;k=rsa;p=AA AB', true],
    [expected('dkim', 'v=DKIM1; k=rsa; p=AAAB'), 'v=DKIM1; k=rsa; p=AAAC', false],
    [expected('dmarc', 'v=DMARC1; p=none;'), 'v=DMARC1; p=reject; rua=mailto:d@example.com', true],
    [expected('dmarc', 'v=DMARC1; p=none;'), 'v=spf1 -all', false],
  ])('%# %j matches %s: %s', (want, published, matches) => {
    expect(recordMatches(want, published, 'mta.example.net')).toBe(matches);
  });

  it.each<[string, boolean]>([
    ['example.com', true],
    ['mail.example.co.uk', true],
    ['localhost', false],
    ['192.168.1.1', false],
    ['-bad.example.com', false],
    [`${'a'.repeat(64)}.com`, false],
  ])('%s is a domain we can send from: %s', (name, ok) => {
    expect(isDomainName(name)).toBe(ok);
  });
});

describe('status filters', () => {
  it.each<[Array<string | undefined>, string[]]>([
    [['delivered'], ['delivered']],
    [['Delivered, BOUNCED'], ['delivered', 'bounced']],
    [[undefined, 'queued'], ['queued']],
    [[' , ,'], []],
  ])('%j → %j', (lists, statuses) => {
    expect(parseStatuses(...lists)).toEqual(statuses);
  });

  it('refuses an unknown status, naming the field', () => {
    expect(() => parseStatuses('delivered,opened')).toThrow(
      expect.objectContaining({ status: 422, errors: [expect.objectContaining({ field: 'status' })] }),
    );
  });
});

describe('plans and their limits', () => {
  it.each<[string, Parameters<typeof limitsFor>[1], number, number | null]>([
    ['free', null, 100, null],
    ['starter', null, 200, 25],
    ['pro', { daily_limit: 7 }, 7, 50],
    ['business', { batch_max: 3 }, 200_000, 3],
    ['no-such-plan', null, 100, null],
  ])('%s with %j: %i a day, batches of %s', (plan, overrides, daily, batch) => {
    const limits = limitsFor(plan, overrides);
    expect([limits.dailyLimit, limits.batchMax]).toEqual([daily, batch]);
  });

  it('counts a send in its UTC day and month', () => {
    expect(usagePeriods(Date.parse('2026-12-31T23:59:59Z'))).toEqual({ day: 'd:2026-12-31', month: 'm:2026-12' });
    expect(usagePeriods(Date.parse('2027-01-01T00:00:00Z'))).toEqual({ day: 'd:2027-01-01', month: 'm:2027-01' });
  });
});

describe('who made a hit', () => {
  // Plain lists (the real ones are loaded from data files in the tracking tests).
  const lists: ScannerLists = {
    agent: (ua) => (ua.includes('GoogleImageProxy') ? 'gmail' : ua.startsWith('curl') || ua === '' ? 'generic' : null),
    address: (ip) => (ip.startsWith('17.') ? 'apple' : null),
  };
  const sentAt = 1_000_000;
  it.each<[string, string, number, number | null, string, string]>([
    ['a person, long after sending', '203.0.113.7', sentAt + 60_000, sentAt, '', ''],
    ['a named scanner', '203.0.113.7', sentAt + 60_000, sentAt, 'gmail', 'ua'],
    ['an address range', '17.58.0.1', sentAt + 60_000, sentAt, 'apple', 'ip'],
    ['a generic agent', '203.0.113.7', sentAt + 60_000, sentAt, 'generic', 'ua'],
    ['seconds after sending', '203.0.113.7', sentAt + 1_000, sentAt, 'generic', 'prefetch'],
    ['before the send was recorded', '203.0.113.7', sentAt, null, 'generic', 'prefetch'],
  ])('%s', (what, ip, at, sent, bot, reason) => {
    const ua =
      what === 'a named scanner' ? 'Mozilla/5.0 GoogleImageProxy' : what === 'a generic agent' ? 'curl/8' : 'Firefox';
    expect(classifyHit(lists, { ua, ip, at, sentAt: sent, prefetchMs: 5_000 })).toEqual({ bot, reason });
  });
});
