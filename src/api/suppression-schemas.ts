/** JSON Schemas of /v1/suppressions (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { SUPPRESSION_TYPES } from '../model.js';
import { pageProperties } from './paging.js';
import { answer } from './schemas.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const type = { type: 'string', enum: SUPPRESSION_TYPES } as const;
const fieldErrors = { type: 'array', items: answer({ field: str, error: str }) } as const;

/** `services/suppressions.ts` rows as suppressions.ts `view` shapes them. */
export const suppressionBody = answer({
  address: { type: 'string', description: 'As it was given.' },
  type,
  domain: { type: ['string', 'null'], description: 'Unsubscribes: the sending domain; null for every domain.' },
  tag: { type: ['string', 'null'], description: 'Tag-level unsubscribes: the tag; null for all mail.' },
  reason: nullableStr,
  source_email_id: { type: ['string', 'null'], description: 'The email whose bounce or complaint added it.' },
  created_at: { type: 'string', format: 'date-time' },
});

export const suppressionParams = {
  type: 'object',
  required: ['type', 'address'],
  properties: { type, address: { type: 'string', minLength: 1, maxLength: 254 } },
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
    type,
    q: { type: 'string', maxLength: 254, description: 'Part of the address, in any letter case.' },
    domain: scopeFilter.domain,
    ...pageProperties(),
  },
} as const;
export type ListQuery = FromSchema<typeof listQuery>;

/** An address's rows on one list: one for bounces and complaints, one per domain and tag for unsubscribes. */
export const addressAnswer = answer({ address: str, type, suppressions: { type: 'array', items: suppressionBody } });
export const deletedAnswer = answer({ address: str, type, deleted: int });

const item = {
  type: 'object',
  required: ['address', 'type'],
  additionalProperties: false,
  properties: {
    address: { type: 'string', maxLength: 254 },
    type,
    domain: {
      type: ['string', 'null'],
      maxLength: 253,
      description: 'Required for an unsubscribe; not allowed otherwise.',
    },
    tag: { type: ['string', 'null'], maxLength: 256, description: 'Unsubscribes only: stop only mail with this tag.' },
    reason: { type: ['string', 'null'], maxLength: 500 },
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

export const addAnswer = answer({
  added: int,
  already_suppressed: int,
  invalid: int,
  results: {
    type: 'array',
    description: 'One per item, in order.',
    items: answer({
      address: str,
      type: str,
      status: { type: 'string', enum: ['added', 'already_suppressed', 'invalid'] },
      errors: fieldErrors,
    }),
  },
});

export const importBody = {
  type: 'string',
  description:
    'text/csv (RFC 4180). The first row must be a header naming the columns, in any order: address and type are required, domain, tag and reason optional, e.g. `address,type,domain,tag,reason`. Up to 100,000 rows.',
} as const;

export const importAnswer = answer({
  added: int,
  already_suppressed: int,
  invalid: { type: 'array', items: answer({ line: int, error: str }) },
});
