/**
 * JSON Schemas of /v1/emails/saved-searches, with the examples the reference shows (see schemas.ts for how
 * they are used). The filters are stored as given, for the client that shows them (the dashboard).
 */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_SAVED_SEARCHES } from '../core/saved-searches.js';
import { answer, documented, NOT_BLANK } from './schemas.js';

const filter = (what: string) =>
  ({
    type: ['string', 'null'],
    maxLength: 500,
    description: `${what}: up to 500 characters, stored as given.`,
  }) as const;
const filters = {
  query: filter('The search text, as for GET /v1/emails/search (to:, from:, status:, domain:, tag: and words)'),
  range: filter('The time range, as your client writes it (such as 7d)'),
  status: filter('The statuses, as for the status parameter of the lists'),
  domain: filter('The sending domain'),
  source: filter('The source'),
} as const;

const savedSearch = {
  type: 'object',
  required: ['name'],
  properties: {
    id: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 64,
      description: "Keep an entry's id to keep it; new entries get one.",
    },
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      pattern: NOT_BLANK,
      description: 'What it is called: up to 100 characters, trimmed.',
    },
    ...filters,
  },
} as const;
export const savedSearchesBody = {
  type: 'object',
  required: ['searches'],
  properties: {
    searches: {
      type: 'array',
      maxItems: MAX_SAVED_SEARCHES,
      items: savedSearch,
      description: `The whole list, at most ${MAX_SAVED_SEARCHES}: it replaces the one stored. An empty list deletes them all.`,
    },
  },
} as const;
export type SavedSearchesBody = FromSchema<typeof savedSearchesBody>;

/**
 * core/saved-searches.ts `SavedSearch`, as stored: a filter missing from an entry stored by an older
 * version is left out of the answer rather than failing it.
 */
const savedSearchesAnswer = answer({
  searches: {
    type: 'array',
    description: 'Your saved searches, in the order they were given.',
    items: answer(
      {
        id: { type: 'string', description: 'Its id: give it back with the entry to keep it.' },
        name: { type: 'string', description: 'What it is called.' },
        ...filters,
      },
      ['query', 'range', 'status', 'domain', 'source'],
    ),
  },
});

const bounces = {
  id: '019d4ed9-f480-7b2b-95c6-aa1d6c307511',
  name: 'Bounces this week',
  query: 'status:bounced',
  range: '7d',
  status: null,
  domain: 'example.com',
  source: null,
};
const welcome = { name: 'Delivered welcome emails', query: 'tag:welcome status:delivered', range: '30d' };

export const savedSearchesRequest = documented(savedSearchesBody, 'The whole list of your saved searches.', {
  searches: [bounces, welcome],
});

export const savedSearches = documented(savedSearchesAnswer, 'Your saved searches.', {
  searches: [
    bounces,
    { id: '019d623d-0a12-7c4e-9b1f-3e5d8a2c6f90', status: null, domain: null, source: null, ...welcome },
  ],
});
