import type { DomainRecord, DomainStatus } from '../model.js';

/** The SPF mechanism that authorises our MTA; the customer's record must contain it. */
export function spfMechanism(mtaHost: string): string {
  return `a:${mtaHost}`;
}

/** The SPF record we ask a domain to publish. */
function spfValue(mtaHost: string): string {
  return `v=spf1 ${spfMechanism(mtaHost)} ~all`;
}

/** The records to publish for a domain: DKIM key, SPF, return path (bounces) and DMARC. */
export function expectedRecords(d: {
  name: string;
  selector: string;
  publicKeyBase64: string;
  returnPathHost: string;
  mtaHost: string;
}): DomainRecord[] {
  return [
    {
      type: 'TXT',
      name: `${d.selector}._domainkey.${d.name}`,
      value: `v=DKIM1; k=rsa; p=${d.publicKeyBase64}`,
      purpose: 'dkim',
      required: true,
      status: 'pending',
    },
    {
      type: 'TXT',
      name: d.name,
      value: spfValue(d.mtaHost),
      purpose: 'spf',
      required: true,
      status: 'pending',
    },
    {
      type: 'MX',
      name: d.returnPathHost,
      value: d.mtaHost,
      priority: 10,
      purpose: 'return_path',
      required: false,
      status: 'pending',
    },
    {
      type: 'TXT',
      name: `_dmarc.${d.name}`,
      value: 'v=DMARC1; p=none;',
      purpose: 'dmarc',
      required: false,
      status: 'pending',
    },
  ];
}

function tags(record: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return out;
}

/** Whether a published value satisfies an expected record (DKIM by key, SPF by mechanism, DMARC by presence). */
export function recordMatches(expected: DomainRecord, published: string, mtaHost: string): boolean {
  const value = published.trim();
  switch (expected.purpose) {
    case 'dkim':
      return tags(value).get('p') === tags(expected.value).get('p');
    case 'spf':
      return (
        /^v=spf1(\s|$)/i.test(value) &&
        value
          .toLowerCase()
          .split(/\s+/)
          .some((m) => m.replace(/^[+~?]/, '') === spfMechanism(mtaHost).toLowerCase())
      );
    case 'dmarc':
      return /^v=DMARC1(\s*;|$)/i.test(value);
    default:
      return value.replace(/\.$/, '').toLowerCase() === expected.value.toLowerCase();
  }
}

/** Whether a published value is a record of the same kind (so a non-match is a mismatch, not a miss). */
export function recordIsOfKind(expected: DomainRecord, published: string): boolean {
  if (expected.purpose === 'spf') return /^v=spf1/i.test(published.trim());
  if (expected.purpose === 'dmarc') return /^v=DMARC1/i.test(published.trim());
  if (expected.purpose === 'dkim') return /(^|;)\s*(v=DKIM1|p=)/i.test(published.trim());
  return true;
}

/** A domain's status from its records: verified once every required record matches. */
export function domainStatusOf(records: readonly DomainRecord[], previous: DomainStatus): DomainStatus {
  const required = records.filter((r) => r.required);
  if (required.every((r) => r.status === 'verified')) return 'verified';
  if (required.some((r) => r.status === 'temporary_failure')) return previous;
  return 'failed';
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A domain name as typed (`Example.COM.`) in the form it is kept and compared in (`example.com`). */
export function canonicalDomainName(raw: string): string {
  return raw.trim().toLowerCase().replace(/\.$/, '');
}

/** Whether `name` is a domain name we can send from (at least two labels, not an address literal). */
export function isDomainName(name: string): boolean {
  if (name.length > 253 || !name.includes('.')) return false;
  const labels = name.split('.');
  return labels.every((l) => LABEL.test(l)) && /[a-z]/.test(labels.at(-1) ?? '');
}

/**
 * A domain's records as they must be published for our MTA's current name: the SPF record and the return path's MX
 * name it, and TAIFA_HELO_NAME may have changed since the domain was added. A record whose value changes is pending
 * again, its last check being of another value, until the domain is verified again.
 */
export function recordsForMtaHost(records: readonly DomainRecord[], mtaHost: string): DomainRecord[] {
  return records.map((r) => {
    const value = r.purpose === 'spf' ? spfValue(mtaHost) : r.purpose === 'return_path' ? mtaHost : r.value;
    if (value === r.value) return r;
    const { found: _found, matches: _matches, current_values: _values, ...unchecked } = r;
    return { ...unchecked, value, status: 'pending' };
  });
}

/** Suffixes of names that only a private network resolves (RFC 6761, RFC 6762, RFC 8375, and common practice). */
const PRIVATE_SUFFIXES = ['localhost', 'localdomain', 'local', 'internal', 'lan', 'home.arpa'];

/**
 * Whether `host` is a fully qualified domain name that the internet can look up: at least two labels, not an address,
 * not under a private suffix. A bare machine name (`vm`) is not: an SPF `a:` mechanism or an MX naming it is useless.
 */
export function isFullyQualifiedHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return isDomainName(name) && !PRIVATE_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`));
}

/** Why a record the API lists cannot work as it stands, in words for the person publishing it. */
export interface RecordWarning {
  /** The record's `purpose`. */
  record: 'spf' | 'return_path';
  message: string;
}

const SET_HELO = "set TAIFA_HELO_NAME to this server's fully qualified name (such as mail.example.com) and restart";

/** The warnings about a domain's records: SPF and return-path records naming a host that is not fully qualified. */
export function recordWarnings(records: readonly DomainRecord[]): RecordWarning[] {
  const warnings: RecordWarning[] = [];
  for (const r of records) {
    if (r.purpose === 'spf') {
      const hosts = r.value.split(/\s+/).flatMap((m) => (/^[+~?-]?a:/i.test(m) ? [m.replace(/^[+~?-]?a:/i, '')] : []));
      for (const host of hosts.filter((h) => !isFullyQualifiedHost(h)))
        warnings.push({
          record: 'spf',
          message: `The SPF record authorises "${host}", which is not a fully qualified domain name: receiving servers cannot look it up, so it authorises no server. The server's operator must ${SET_HELO}.`,
        });
    }
    if (r.purpose === 'return_path' && !isFullyQualifiedHost(r.value))
      warnings.push({
        record: 'return_path',
        message: `The return-path MX record points at "${r.value}", which is not a fully qualified domain name: bounces and complaints cannot reach it. The server's operator must ${SET_HELO}.`,
      });
  }
  return warnings;
}
