/** JSON Schemas of /v1/api-keys, with the examples the reference shows (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { answer, deletedAnswer, documented, idOf, idParamsOf, NOT_BLANK } from './schemas.js';

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** api-keys.ts `view`, and the key itself in the answer to POST. */
export const apiKeyBody = answer(
  {
    id: idOf("The key's id, to delete it by."),
    name: { type: 'string', description: 'What the key is for, as given when it was made.' },
    prefix: { type: 'string', description: 'The first 10 characters of the key, to recognise it by.' },
    key: {
      type: 'string',
      description: 'The key itself (tfm_k_ and 32 letters or digits): only in the answer to POST, never again.',
    },
    created_at: { type: 'string', format: 'date-time', description: 'When the key was made.' },
    last_used_at: { ...nullableTime, description: 'When a request last authenticated with it; null if never.' },
  },
  ['key'],
);

export const createApiKeyBody = {
  type: 'object',
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      pattern: NOT_BLANK,
      description: 'What the key is for: up to 100 characters, trimmed, no control characters. Default "API key".',
    },
  },
} as const;
export type CreateApiKeyBody = FromSchema<typeof createApiKeyBody>;

const newKey = {
  id: '019d620a-6364-7bdd-8fac-4ee446685257',
  name: 'Production server',
  prefix: 'tfm_k_02LF',
  created_at: '2026-04-06T09:05:41.220Z',
  last_used_at: null,
};

export const createApiKeyRequest = documented(createApiKeyBody, 'The new key.', { name: 'Production server' });

export const createdApiKey = documented(apiKeyBody, 'The new key, with the key itself: store it now.', {
  ...newKey,
  key: 'tfm_k_02LF76zEuQ0OWyamH4ue0PiyVdakfXsZ',
});

export const apiKeyList = documented(
  { type: 'array', items: apiKeyBody },
  "The account's keys, newest first, without the keys themselves.",
  [
    newKey,
    {
      id: '019d480e-7600-7a3b-8199-c6b41c80317f',
      name: 'Default key',
      prefix: 'tfm_k_Aw8B',
      created_at: '2026-04-01T08:00:00.512Z',
      last_used_at: '2026-04-06T09:05:41.201Z',
    },
  ],
);

export const apiKeyParams = idParamsOf('API key', newKey.id);
export const deletedApiKey = deletedAnswer('API key', newKey.id);
