import type { DomainRecord, DomainStatus } from '../model.js';

/** The SPF mechanism that authorises our MTA; the customer's record must contain it. */
export function spfMechanism(mtaHost: string): string {
  return `a:${mtaHost}`;
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
      value: `v=spf1 ${spfMechanism(d.mtaHost)} ~all`,
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
