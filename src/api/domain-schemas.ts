/** JSON Schemas of /v1/domains, with the examples the reference shows (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { answer, deletedAnswer, documented, idOf, idParamsOf, NOT_BLANK } from './schemas.js';

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const trackingHost =
  "The host of its tracking and unsubscribe links (with TAIFA_PUBLIC_URL's scheme), such as track.example.com: " +
  'one of yours that reaches this server. null: the links start with TAIFA_PUBLIC_URL.';

/** A DNS record (core/domain-records.ts `DomainRecord` but `required`); a check adds found, matches, current_values. */
const record = answer(
  {
    type: { type: 'string', enum: ['TXT', 'MX', 'CNAME'], description: 'The DNS record type to publish.' },
    name: { type: 'string', description: 'The name to publish it at.' },
    value: { type: 'string', description: 'The value to publish (for MX, the host the record points to).' },
    priority: { type: 'integer', description: 'MX records only: the priority to give it.' },
    purpose: {
      type: 'string',
      enum: ['dkim', 'spf', 'return_path', 'dmarc', 'tracking'],
      description:
        'What it is for: dkim (the public key of the signature) and spf (this server may send for the domain) are ' +
        'required to verify; return_path (where bounces come back) and dmarc are recommended.',
    },
    status: {
      type: 'string',
      enum: ['pending', 'verified', 'missing', 'mismatch', 'temporary_failure'],
      description:
        'pending until the first check; then verified (found and matching), missing (no such record), mismatch ' +
        '(a record of that kind with another value) or temporary_failure (DNS did not answer).',
    },
    found: { type: 'boolean', description: 'After a check: whether a record of this kind was found at name.' },
    matches: { type: 'boolean', description: 'After a check: whether one of them has the expected value.' },
    current_values: {
      type: 'array',
      items: { type: 'string' },
      description: 'After a check: the values of this kind found at name, as published.',
    },
  },
  ['priority', 'found', 'matches', 'current_values'],
);

/** domains.ts `domainView`. */
export const domainBody = answer({
  id: idOf("The domain's id."),
  name: { type: 'string', description: 'The domain name, in lower case.' },
  status: {
    type: 'string',
    enum: ['pending', 'verified', 'failed'],
    description:
      'pending until checked; verified once its DKIM and SPF records match (it may then send); failed when a ' +
      'check found them missing or different. A check that DNS could not answer keeps the previous status.',
  },
  records: { type: 'array', items: record, description: 'The DNS records to publish, with the last check of each.' },
  dkim_selector: { type: 'string', description: 'The DKIM selector of its signatures (s= in DKIM-Signature).' },
  return_path_host: { type: 'string', description: 'The host of its return path, where bounces come back.' },
  open_tracking: { type: 'boolean', description: 'Whether its emails get an open pixel, unless a send body says.' },
  click_tracking: { type: 'boolean', description: "Whether its emails' links are tracked, unless a send body says." },
  pixel_position: {
    type: 'string',
    enum: ['top', 'bottom'],
    description: 'Where the open pixel goes in the HTML: at the top or the bottom of the body.',
  },
  tracking_host: { type: ['string', 'null'], description: trackingHost },
  unsubscribe_links: {
    type: 'boolean',
    description: "Whether each recipient's copy gets unsubscribe links and headers, unless a send body says.",
  },
  created_at: { ...time, description: 'When the domain was added.' },
  verified_at: { ...nullableTime, description: 'When it was first verified; null while it is not.' },
  last_checked_at: { ...nullableTime, description: 'When its records were last looked up; null if never.' },
  warnings: {
    type: 'array',
    description:
      "Records that cannot work as listed (an SPF or return-path record naming a host name that is not fully qualified: set TAIFA_HELO_NAME), each with the record's purpose and what to do; empty when all can.",
    items: answer({
      record: { type: 'string', enum: ['spf', 'return_path'], description: 'The purpose of the record at fault.' },
      message: { type: 'string', description: 'What is wrong with it, and what to set.' },
    }),
  },
});

export const updateDomainBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    open_tracking: { type: 'boolean', description: 'Add an open pixel to HTML emails.' },
    click_tracking: { type: 'boolean', description: 'Track the links of emails (HTML and text).' },
    pixel_position: { type: 'string', enum: ['top', 'bottom'], description: 'Where the open pixel goes.' },
    tracking_host: { type: ['string', 'null'], maxLength: 253, description: trackingHost },
    unsubscribe_links: { type: 'boolean', description: 'Give each recipient unsubscribe links and headers.' },
  },
} as const;

export const createDomainBody = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 253,
      pattern: NOT_BLANK,
      description: 'The domain to send from, such as example.com: the part after the @ of your From addresses.',
      examples: ['example.com'],
    },
  },
} as const;
export type CreateDomainBody = FromSchema<typeof createDomainBody>;
export type UpdateDomainBody = FromSchema<typeof updateDomainBody>;

// The example: example.com, added, then verified; this server greets as mta.example.net.
const DKIM_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArOfCi0kANEmHUGc1O2uBDYgTMg+Sk8pM4XCAFmdqMwH3cKoPVGpjNsO7OK++sgFsJRU9' +
  'CmfrqzjD21LuHUVBNfn7qJOO8DNcGgtyKWNlb23u9gt9S1yewP/tBJVj0EUYD8jLT/Ca04+uvpUc8CTx1SdyGpkalGD/T1yDXxQj6O0N7U4gpxo/' +
  's6J4DVx44s9jLKq+v49vSUVZCTQtPMEZ8h/2Oi+xV0Fq8TU36rDxYx6HvAL3vIyMYq87tick10h7y17+E4eygpvIadras4N7bRi0Qes+XGoVyNZ' +
  '4CKzxwzuR+zihFL6R/GyRxKojawkOPy0aax+pH8gq8ajQ3OUShQIDAQAB';
export const EXAMPLE_DOMAIN_ID = '019d6210-385a-7392-af22-582a23b8c1e9';
const dkim = { type: 'TXT', name: 'tfmj0rhhd._domainkey.example.com', value: `v=DKIM1; k=rsa; p=${DKIM_KEY}` };
const spf = { type: 'TXT', name: 'example.com', value: 'v=spf1 a:mta.example.net ~all' };
const returnPath = { type: 'MX', name: 'tfm-bounces.example.com', value: 'mta.example.net', priority: 10 };
const dmarc = { type: 'TXT', name: '_dmarc.example.com', value: 'v=DMARC1; p=none;' };
const added = {
  id: EXAMPLE_DOMAIN_ID,
  name: 'example.com',
  status: 'pending',
  records: [
    { ...dkim, purpose: 'dkim', status: 'pending' },
    { ...spf, purpose: 'spf', status: 'pending' },
    { ...returnPath, purpose: 'return_path', status: 'pending' },
    { ...dmarc, purpose: 'dmarc', status: 'pending' },
  ],
  dkim_selector: 'tfmj0rhhd',
  return_path_host: 'tfm-bounces.example.com',
  open_tracking: true,
  click_tracking: true,
  pixel_position: 'bottom',
  tracking_host: null,
  unsubscribe_links: false,
  created_at: '2026-04-06T09:12:03.418Z',
  verified_at: null,
  last_checked_at: null,
  warnings: [],
};
const found = (r: { value: string }) => ({ status: 'verified', found: true, matches: true, current_values: [r.value] });
const verified = {
  ...added,
  status: 'verified',
  records: [
    { ...dkim, purpose: 'dkim', ...found(dkim) },
    { ...spf, purpose: 'spf', ...found(spf) },
    { ...returnPath, purpose: 'return_path', ...found(returnPath) },
    { ...dmarc, purpose: 'dmarc', status: 'missing', found: false, matches: false, current_values: [] },
  ],
  verified_at: '2026-04-06T09:20:41.102Z',
  last_checked_at: '2026-04-06T09:20:41.102Z',
};

export const createDomainRequest = documented(createDomainBody, 'The domain to add.', { name: 'example.com' });
export const addedDomain = documented(domainBody, 'The domain, with the DNS records to publish.', added);
export const domainAnswer = documented(domainBody, 'The domain.', verified);
export const checkedDomain = documented(domainBody, 'The domain, with what the check found for each record.', verified);
export const domainList = documented({ type: 'array', items: domainBody }, "The account's domains, oldest first.", [
  verified,
]);

export const updateDomainRequest = documented(updateDomainBody, 'The settings to change; the others stay.', {
  click_tracking: false,
  unsubscribe_links: true,
});
export const updatedDomain = documented(domainBody, 'The domain with its new settings.', {
  ...verified,
  click_tracking: false,
  unsubscribe_links: true,
});

export const domainParams = idParamsOf('domain', EXAMPLE_DOMAIN_ID);
export const deletedDomain = deletedAnswer('domain', EXAMPLE_DOMAIN_ID);
