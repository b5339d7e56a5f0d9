/**
 * The API's one reader of date-times (send_at, and every since/until of a query string). Date.parse
 * rolls an impossible date over (2027-02-30 becomes 2 March) and reads some strings in the server's
 * own zone; this reads only real dates and times, always with a zone, and says what is wrong otherwise.
 */

/** ISO 8601 date-time with a time zone; seconds and fractions optional (2026-06-01T09:00Z). The shape only. */
export const ISO_8601_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:?\\d{2})$';

/** The sentence for a string that is not of that shape. */
export const ISO_8601_MESSAGE = 'must be an ISO 8601 date-time with a time zone, such as 2026-06-01T09:00:00Z';

const PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;
const WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export type ParsedDateTime = { ok: true; ms: number } | { ok: false; error: string };

function daysIn(year: number, month: number): number {
  if (month !== 2) return [4, 6, 9, 11].includes(month) ? 30 : 31;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return leap ? 29 : 28;
}

/** Why the parts do not make a real moment, or null when they do. */
function impossible(p: RegExpExecArray): string | null {
  const n = (i: number) => Number(p[i] ?? 0);
  if (n(2) < 1 || n(2) > 12) return `is not a real date: there is no month ${p[2]}`;
  const days = daysIn(n(1), n(2));
  if (n(3) < 1 || n(3) > days)
    return `is not a real date: ${MONTHS[n(2) - 1]} ${p[1]} has ${days} days, not day ${p[3]}`;
  if (n(4) > 23) return `is not a real time: there is no hour ${p[4]} (00 to 23)`;
  if (n(5) > 59) return `is not a real time: there is no minute ${p[5]} (00 to 59)`;
  if (n(6) > 59) return `is not a real time: there is no second ${p[6]} (00 to 59)`;
  if (p[8] !== 'Z' && (n(10) > 23 || n(11) > 59))
    return `has no real time zone offset: ${p[9]}${p[10]}:${p[11]} (hours 00 to 23, minutes 00 to 59)`;
  return null;
}

/**
 * Reads an ISO 8601 date-time with a time zone (Z or ±hh:mm, or ±hhmm) to epoch milliseconds; digits
 * beyond the millisecond are dropped. An impossible date or time (month 13, 30 February, hour 24 or 25,
 * a leap second) is an error naming it, as is a missing zone.
 */
export function parseIsoDateTime(s: string): ParsedDateTime {
  const p = PARTS.exec(s);
  if (!p) {
    const zoneless = WITHOUT_ZONE.test(s);
    return {
      ok: false,
      error: zoneless ? 'must have a time zone (Z or ±hh:mm), such as 2026-06-01T09:00:00Z' : ISO_8601_MESSAGE,
    };
  }
  const why = impossible(p);
  if (why) return { ok: false, error: why };
  const n = (i: number) => Number(p[i] ?? 0);
  const ms = Number((p[7] ?? '').padEnd(3, '0').slice(0, 3));
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: that one reads years 0 to 99 as 1900 to 1999.
  at.setUTCFullYear(n(1), n(2) - 1, n(3));
  at.setUTCHours(n(4), n(5), n(6), ms);
  const offsetMinutes = p[8] === 'Z' ? 0 : (p[9] === '-' ? -1 : 1) * (n(10) * 60 + n(11));
  return { ok: true, ms: at.getTime() - offsetMinutes * 60_000 };
}
