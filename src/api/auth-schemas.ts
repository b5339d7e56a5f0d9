/** JSON Schemas of /v1/auth (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_PASSWORD_CHARS, MAX_USER_EMAIL_CHARS } from '../core/dashboard-users.js';
import { PLANS } from '../model.js';
import { answer, documented } from './schemas.js';

const id = (what: string) => ({ type: 'string', format: 'uuid', description: what }) as const;

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
    email: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_USER_EMAIL_CHARS,
      description: "The user's email address, in any letter case.",
    },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_CHARS, description: "The user's password." },
  },
  examples: [{ email: 'amina@example.com', password: 'correct horse battery staple' }],
} as const;
export type LoginBody = FromSchema<typeof loginBody>;

/** A dashboard user (services/users.ts `DashboardUser`). */
export const userBody = documented(
  answer({
    id: id("The user's id."),
    email: { type: ['string', 'null'], description: 'Null for a user who does not log in (an API key owner).' },
    name: { type: 'string', description: "The user's name, as shown in the dashboard." },
    account_id: id('The account the user belongs to and acts for.'),
  }),
  'The user now logged in; the answer also sets the session cookie.',
  USER_EXAMPLE,
);

/** GET /v1/auth/me. */
export const meBody = documented(
  answer({
    user: { ...userBody, description: 'The user the request authenticates as.' },
    account: {
      ...answer({
        id: id("The account's id."),
        name: { type: 'string', description: "The account's name." },
        plan: { type: 'string', enum: PLANS, description: 'The plan whose limits the account has.' },
      }),
      description: "The user's account.",
    },
  }),
  'The user and their account.',
  { user: USER_EXAMPLE, account: { id: USER_EXAMPLE.account_id, name: 'Acme', plan: 'pro' } },
);

/** The empty 204 of logout. */
export const noContent = { type: 'null', description: 'Logged out: the session is ended and its cookie cleared.' };
