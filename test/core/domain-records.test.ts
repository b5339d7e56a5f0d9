import { describe, expect, it } from 'vitest';
import {
  expectedRecords,
  isFullyQualifiedHost,
  recordWarnings,
  recordsForMtaHost,
} from '../../src/core/domain-records.js';

const records = (mtaHost: string) =>
  expectedRecords({
    name: 'example.com',
    selector: 'tfm1',
    publicKeyBase64: 'AAAA',
    returnPathHost: 'tfm-bounces.example.com',
    mtaHost,
  });

describe('host names our records can name', () => {
  it.each([
    ['mail.example.com', true],
    ['MTA.Example.COM.', true],
    ['mta.taifa.test', true],
    ['vm', false],
    ['localhost', false],
    ['vm.localdomain', false],
    ['printer.local', false],
    ['ip-10-0-0-1.ec2.internal', false],
    ['box.lan', false],
    ['nas.home.arpa', false],
    ['192.0.2.10', false],
    ['2001:db8::1', false],
    ['-bad.example.com', false],
    ['', false],
  ])('%s is fully qualified: %s', (host, expected) => {
    expect(isFullyQualifiedHost(host)).toBe(expected);
  });
});

describe('warnings about the records to publish', () => {
  it('names the SPF and return-path records when the MTA name is not fully qualified, and says what to set', () => {
    const warnings = recordWarnings(records('vm'));
    expect(warnings.map((w) => w.record)).toEqual(['spf', 'return_path']);
    for (const w of warnings)
      expect(w.message).toMatch(/"vm", which is not a fully qualified domain name.*TAIFA_HELO_NAME/);
  });

  it('has none for a fully qualified name', () => {
    expect(recordWarnings(records('mail.example.com'))).toEqual([]);
  });
});

describe('records for the MTA name of now', () => {
  it('rewrites the SPF and return-path values, pending again, and leaves the others as checked', () => {
    const checked = records('vm').map((r) => ({
      ...r,
      status: 'verified' as const,
      found: true,
      matches: true,
      current_values: [r.value],
    }));
    const now = recordsForMtaHost(checked, 'mail.example.com');
    expect(now.map((r) => [r.purpose, r.value, r.status])).toEqual([
      ['dkim', 'v=DKIM1; k=rsa; p=AAAA', 'verified'],
      ['spf', 'v=spf1 a:mail.example.com ~all', 'pending'],
      ['return_path', 'mail.example.com', 'pending'],
      ['dmarc', 'v=DMARC1; p=none;', 'verified'],
    ]);
    expect(now[1]).not.toHaveProperty('current_values');
    expect(now[0]).toHaveProperty('current_values');
  });

  it('changes nothing when the name is the same', () => {
    const same = records('mail.example.com');
    expect(recordsForMtaHost(same, 'mail.example.com')).toEqual(same);
  });
});
