/** JSON Schemas of /v1/auth (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_PASSWORD_CHARS, MAX_USER_EMAIL_CHARS } from '../core/dashboard-users.js';
import { answer } from './schemas.js';

const id = { type: 'string', format: 'uuid' } as const;

const USER_EXAMPLE = {
  id: '01939a6e-8a1f-7c3e-9b2a-5d4c3b2a1f00',
  email: 'amina@example.com',
  name: 'Amina',
  account_id: '01939a6e-7f00-7a11-8c22-1e2d3c4b5a60',
};

export const loginBody = {
  type: 'object',
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', minLength: 1, maxLength: MAX_USER_EMAIL_CHARS, description: 'Any letter case.' },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_CHARS },
  },
  examples: [{ email: 'amina@example.com', password: 'correct horse battery staple' }],
} as const;
export type LoginBody = FromSchema<typeof loginBody>;

/** A dashboard user (services/users.ts `DashboardUser`). */
export const userBody = {
  ...answer({
    id,
    email: { type: ['string', 'null'], description: 'Null for a user who does not log in (an API key owner).' },
    name: { type: 'string' },
    account_id: id,
  }),
  examples: [USER_EXAMPLE],
} as const;

/** GET /v1/auth/me. */
export const meBody = {
  ...answer({
    user: userBody,
    account: answer({ id, name: { type: 'string' }, plan: { type: 'string' } }),
  }),
  examples: [{ user: USER_EXAMPLE, account: { id: USER_EXAMPLE.account_id, name: 'Acme', plan: 'pro' } }],
} as const;

/** The empty 204 of logout. */
export const noContent = { type: 'null', description: 'Logged out: the session is ended and its cookie cleared.' };
