/** JSON Schemas of /v1/suppressions, with the examples the reference shows (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { SUPPRESSION_TYPES } from '../model.js';
import { EXAMPLE_BOUNCED_ID } from './email-schemas.js';
import { pageProperties } from './paging.js';
import { answer, documented } from './schemas.js';

const str = (description: string) => ({ type: 'string', description }) as const;
const int = (description: string) => ({ type: 'integer', description }) as const;
const type = {
  type: 'string',
  enum: SUPPRESSION_TYPES,
  description:
    'The list: bounce (refused for good by its mail server), complaint (reported your mail as spam) or unsubscribe.',
} as const;
const fieldErrors = {
  type: 'array',
  description: "The item's errors, each naming its field (suppressions[2].address); empty unless invalid.",
  items: answer({ field: str('The field, from the body: suppressions[2].address.'), error: str('What is wrong.') }),
} as const;

/** `services/suppressions.ts` rows as suppressions.ts `view` shapes them. */
export const suppressionBody = answer({
  address: str('The address, as it was given.'),
  type,
  domain: { type: ['string', 'null'], description: 'Unsubscribes: the sending domain; null for every domain.' },
  tag: { type: ['string', 'null'], description: 'Tag-level unsubscribes: the tag; null for all mail.' },
  reason: { type: ['string', 'null'], description: 'Why it is on the list: the bounce reply, or what you gave.' },
  source_email_id: { type: ['string', 'null'], description: 'The email whose bounce or complaint added it.' },
  created_at: { type: 'string', format: 'date-time', description: 'When it was added.' },
});

export const suppressionParams = {
  type: 'object',
  required: ['type', 'address'],
  properties: {
    type: { ...type, examples: ['unsubscribe'] },
    address: {
      type: 'string',
      minLength: 1,
      maxLength: 254,
      description: 'The address; its domain part in any letter case.',
      examples: ['jane@example.org'],
    },
  },
} as const;
export type SuppressionParams = FromSchema<typeof suppressionParams>;

const scopeFilter = {
  domain: { type: 'string', maxLength: 253, description: 'Unsubscribes only: the sending domain.' },
  tag: { type: 'string', maxLength: 256, description: 'Unsubscribes only: the tag.' },
} as const;
export const scopeQuery = { type: 'object', properties: scopeFilter } as const;
export type ScopeQuery = FromSchema<typeof scopeQuery>;

export const listQuery = {
  type: 'object',
  properties: {
    type: { ...type, description: 'Only this list: bounce, complaint or unsubscribe.' },
    q: { type: 'string', maxLength: 254, description: 'Part of the address, in any letter case.' },
    domain: scopeFilter.domain,
    ...pageProperties(),
  },
} as const;
export type ListQuery = FromSchema<typeof listQuery>;

/** An address's rows on one list: one for bounces and complaints, one per domain and tag for unsubscribes. */
const addressAnswer = answer({
  address: str('The address, as in the path.'),
  type,
  suppressions: {
    type: 'array',
    items: suppressionBody,
    description: 'Its entries on the list: one, or for unsubscribes one per domain and tag.',
  },
});
const deletedAnswer = answer({ address: str('The address, as in the path.'), type, deleted: int('Entries removed.') });

const item = {
  type: 'object',
  required: ['address', 'type'],
  additionalProperties: false,
  properties: {
    address: { type: 'string', maxLength: 254, description: 'The address to stop sending to.' },
    type,
    domain: {
      type: ['string', 'null'],
      maxLength: 253,
      description: 'Required for an unsubscribe; not allowed otherwise.',
    },
    tag: { type: ['string', 'null'], maxLength: 256, description: 'Unsubscribes only: stop only mail with this tag.' },
    reason: { type: ['string', 'null'], maxLength: 500, description: 'A note of why, for you: up to 500 characters.' },
  },
} as const;

/** POST /v1/suppressions. The item count is checked before the items (see MAX_SUPPRESSIONS_PER_REQUEST). */
export const addBody = {
  type: 'object',
  required: ['suppressions'],
  additionalProperties: false,
  properties: {
    suppressions: { type: 'array', minItems: 1, maxItems: 10_000, items: item, description: '1 to 10,000.' },
  },
} as const;

const addAnswer = answer({
  added: int('Items added.'),
  already_suppressed: int('Items that were on their list already.'),
  invalid: int('Items refused, each with its errors.'),
  results: {
    type: 'array',
    description: 'One per item, in order.',
    items: answer({
      address: str('The address, as given.'),
      type: str('The list, as given.'),
      status: {
        type: 'string',
        enum: ['added', 'already_suppressed', 'invalid'],
        description: 'What became of it.',
      },
      errors: fieldErrors,
    }),
  },
});

export const importBody = {
  type: 'string',
  description:
    'text/csv (RFC 4180). The first row must be a header naming the columns, in any order: address and type are required, domain, tag and reason optional, e.g. `address,type,domain,tag,reason`. Up to 100,000 rows.',
} as const;

const importAnswer = answer({
  added: int('Rows added.'),
  already_suppressed: int('Rows that were on their list already.'),
  invalid: {
    type: 'array',
    description: 'The rows skipped, by line, in order.',
    items: answer({ line: int('The line of the file (the header is line 1).'), error: str('What is wrong.') }),
  },
});

// The examples: jane@example.org unsubscribed from example.com's newsletter, old.address@example.net bounced.
const janeUnsubscribed = {
  address: 'jane@example.org',
  type: 'unsubscribe',
  domain: 'example.com',
  tag: 'newsletter',
  reason: null,
  source_email_id: null,
  created_at: '2026-04-02T07:31:18.044Z',
};
const oldBounced = {
  address: 'old.address@example.net',
  type: 'bounce',
  domain: null,
  tag: null,
  reason: '550 5.1.1 <old.address@example.net>: Recipient address rejected: User unknown',
  source_email_id: EXAMPLE_BOUNCED_ID,
  created_at: '2026-04-06T10:00:03.000Z',
};

export const suppressionList = documented(
  { type: 'array', items: suppressionBody },
  'One page of suppressions, newest first.',
  [oldBounced, janeUnsubscribed],
);
export const addressSuppressions = documented(addressAnswer, "The address's entries on the list.", {
  address: 'jane@example.org',
  type: 'unsubscribe',
  suppressions: [janeUnsubscribed],
});
export const deletedSuppressions = documented(deletedAnswer, 'Taken off the list.', {
  address: 'jane@example.org',
  type: 'unsubscribe',
  deleted: 1,
});

export const addRequest = documented(addBody, 'The suppressions to add.', {
  suppressions: [
    { address: 'sam@example.org', type: 'unsubscribe', domain: 'example.com', reason: 'Asked by phone' },
    { address: 'old.address@example.net', type: 'bounce' },
    { address: 'sam.example.org', type: 'complaint' },
  ],
});
export const addResults = documented(addAnswer, 'What became of each item.', {
  added: 1,
  already_suppressed: 1,
  invalid: 1,
  results: [
    { address: 'sam@example.org', type: 'unsubscribe', status: 'added', errors: [] },
    { address: 'old.address@example.net', type: 'bounce', status: 'already_suppressed', errors: [] },
    {
      address: 'sam.example.org',
      type: 'complaint',
      status: 'invalid',
      errors: [{ field: 'suppressions[2].address', error: 'is not a valid email address' }],
    },
  ],
});

const csv = [
  'address,type,domain,tag,reason',
  'sam@example.org,unsubscribe,example.com,newsletter,',
  'lee@example.net,bounce,,,Mailbox closed',
];
export const importRequest = { ...importBody, examples: [`${csv.join('\n')}\n`] } as const;
export const importResults = documented(importAnswer, 'What was added, and the lines skipped.', {
  added: 2,
  already_suppressed: 0,
  invalid: [],
});
