/** JSON Schemas of /v1/senders, with the examples the reference shows (see schemas.ts for how they are used). */
import type { FromSchema } from 'json-schema-to-ts';
import { EXAMPLE_DOMAIN_ID } from './domain-schemas.js';
import { answer, deletedAnswer, documented, idOf, idParamsOf, NOT_BLANK, ONE_LINE } from './schemas.js';

/** senders.ts `view`. */
export const senderBody = answer({
  id: idOf("The sender's id."),
  email: { type: 'string', description: 'The From address, in lower case.' },
  name: {
    type: ['string', 'null'],
    description: 'The display name of its mail when a send body gives none; null for none.',
  },
  domain_id: idOf('The verified domain it is on.'),
  created_at: { type: 'string', format: 'date-time', description: 'When it was registered.' },
});

export const createSenderBody = {
  type: 'object',
  required: ['email'],
  properties: {
    email: {
      type: 'string',
      minLength: 1,
      maxLength: 254,
      pattern: NOT_BLANK,
      description: "The From address, on one of the account's verified domains. Stored in lower case.",
      examples: ['hello@example.com'],
    },
    name: {
      type: ['string', 'null'],
      maxLength: 256,
      pattern: ONE_LINE,
      description: 'A display name for its mail (one line, up to 256 characters), used when a send body gives none.',
      examples: ['Example'],
    },
  },
} as const;
export type CreateSenderBody = FromSchema<typeof createSenderBody>;

const sender = {
  id: '019d6218-a50a-71a3-af67-19acad3c2d6d',
  email: 'hello@example.com',
  name: 'Example',
  domain_id: EXAMPLE_DOMAIN_ID,
  created_at: '2026-04-06T09:21:15.530Z',
};

export const createSenderRequest = documented(createSenderBody, 'The sender to register.', {
  email: 'hello@example.com',
  name: 'Example',
});
export const createdSender = documented(senderBody, 'The sender: its address may now send.', sender);
export const senderList = documented({ type: 'array', items: senderBody }, "The account's senders, oldest first.", [
  sender,
]);
export const senderParams = idParamsOf('sender', sender.id);
export const deletedSender = deletedAnswer('sender', sender.id);
