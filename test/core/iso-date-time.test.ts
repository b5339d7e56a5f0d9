import { describe, expect, it } from 'vitest';
import { parseIsoDateTime } from '../../src/core/iso-date-time.js';

// The one reader of the API's date-times (send_at, since, until): a date that does not exist is refused,
// never rolled over into the next month or day.

describe('a real ISO 8601 date-time with a time zone is read to the millisecond', () => {
  it.each<[string, string]>([
    ['2026-06-01T09:00:00Z', '2026-06-01T09:00:00.000Z'],
    ['2026-06-01T09:00Z', '2026-06-01T09:00:00.000Z'],
    ['2026-06-01T09:00:00.5Z', '2026-06-01T09:00:00.500Z'],
    ['2026-06-01T09:00:00.123456789Z', '2026-06-01T09:00:00.123Z'],
    ['2026-06-01T09:00:00+02:00', '2026-06-01T07:00:00.000Z'],
    ['2026-06-01T09:00:00-0530', '2026-06-01T14:30:00.000Z'],
    ['2026-06-01T00:30:00+01:00', '2026-05-31T23:30:00.000Z'],
    ['2028-02-29T23:59:59Z', '2028-02-29T23:59:59.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['2027-12-31T23:59:59.999Z', '2027-12-31T23:59:59.999Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ])('%s', (input, expected) => {
    const r = parseIsoDateTime(input);
    expect(r).toEqual({ ok: true, ms: Date.parse(expected) });
    if (r.ok) expect(new Date(r.ms).toISOString()).toBe(expected);
  });
});

describe('an impossible or malformed date-time is refused with the reason', () => {
  it.each<[string, RegExp]>([
    ['2027-02-30T00:00:00Z', /February 2027 has 28 days/],
    ['2027-02-29T00:00:00Z', /February 2027 has 28 days/],
    ['1900-02-29T00:00:00Z', /February 1900 has 28 days/],
    ['2027-04-31T00:00:00Z', /April 2027 has 30 days/],
    ['2027-01-32T00:00:00Z', /January 2027 has 31 days/],
    ['2027-01-00T00:00:00Z', /day 00/],
    ['2027-13-01T00:00:00Z', /month 13/],
    ['2027-00-01T00:00:00Z', /month 00/],
    ['2027-01-01T25:00:00Z', /hour 25/],
    ['2027-01-01T24:00:00Z', /hour 24/],
    ['2027-01-01T23:60:00Z', /minute 60/],
    ['2027-01-01T23:59:60Z', /second 60/],
    ['2027-01-01T00:00:00+25:00', /offset/],
    ['2027-01-01T00:00:00+01:60', /offset/],
    ['2027-01-01T00:00:00', /time zone/],
    ['2027-01-01', /time zone/],
    ['yesterday', /ISO 8601/],
    ['2027-01-01T00:00:00.1234567890Z', /ISO 8601/],
    [' 2027-01-01T00:00:00Z', /ISO 8601/],
  ])('%s', (input, reason) => {
    const r = parseIsoDateTime(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });
});
