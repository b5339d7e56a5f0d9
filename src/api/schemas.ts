/**
 * JSON Schemas of the API: Fastify's Ajv validates params, query strings and bodies with them, and the
 * OpenAPI document (/v1/openapi.json) is generated from them. This file holds what every resource shares;
 * each resource's schemas, with the examples the reference shows, are in a file of their own
 * (domain-schemas.ts, email-schemas.ts…), and the send body in core/send-body-schema.ts, beside the rules a
 * schema cannot express. Response schemas name every property their route returns, and Fastify's
 * serializer (fast-json-stringify) sends only what they name: a field added to a view reaches clients only
 * once its schema names it, and an internal one added by mistake never does. Only free-form sub-objects
 * (an event's metadata, an email's headers and tracking, a recipient's last reply) stay open.
 * test/api/response-schemas.test.ts holds each answer against its view; test/api/openapi-reference.test.ts
 * holds every example against its schema.
 */
import type { AppError, FieldError } from '../core/errors.js';
import { errors } from '../core/errors.js';
import { sendEmailBody } from '../core/send-body-schema.js';

export { sendEmailBody };

/**
 * An answer object: `properties` are all it sends, and all are always there (null where the value can
 * be null) but those named in `optional`. Missing a required one is a serialisation error, not a
 * silently shorter answer.
 */
export function answer<const P extends Record<string, object>>(
  properties: P,
  optional: readonly (keyof P & string)[] = [],
) {
  return {
    type: 'object',
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  } as const;
}

/**
 * A schema as the reference shows it: what it is (for a request or an answer, the sentence above its
 * example) and one example. The example is a JSON Schema `examples` entry, which the OpenAPI generator
 * moves to the media type's `example`: what Swagger UI fills "Try it out" with and shows as the answer.
 */
export function documented<const S extends object>(schema: S, description: string, example: unknown) {
  return { ...schema, description, examples: [example] } as const;
}

/** An id this API gives out (a UUIDv7), as a property or parameter: `what` it names. */
export function idOf(what: string) {
  return { type: 'string', format: 'uuid', description: what } as const;
}

/** The params of a route with an `:id` (see idParamsOf). */
export type IdParams = { id: string };

/**
 * `:id` in the path of one resource: what it names, with an example id the reference fills in. A malformed id
 * is a 422 naming `id`; a well-formed unknown one, the route's 404.
 */
export function idParamsOf(resource: string, example: string) {
  return {
    type: 'object',
    required: ['id'],
    properties: { id: { ...idOf(`The ${resource}'s id, as its create or list answer gave it.`), examples: [example] } },
  } as const;
}

/** A string with something in it besides blanks (schema-errors says "must not be blank"). */
export const NOT_BLANK = '\\S';
/** One line without control characters (C0, DEL, C1): schema-errors says so. */
export const ONE_LINE = '^[^\\x00-\\x1F\\x7F-\\x9F]*$';

/** The API's error body, of every 4xx and 5xx answer. */
export const errorBody = {
  $id: 'Error',
  description: 'The body of every 4xx and 5xx answer.',
  ...answer(
    {
      detail: { type: 'string', description: 'What went wrong, as a sentence for a person.' },
      code: { type: 'string', description: 'A stable snake_case code to branch on, such as validation_error.' },
      errors: {
        type: 'array',
        description: 'The fields at fault, when the request is: one entry per problem.',
        items: answer({
          field: { type: 'string', description: 'The field, as a path into the request: to[0].email, name, since.' },
          error: { type: 'string', description: 'What is wrong with it.' },
        }),
      },
    },
    ['errors'],
  ),
} as const;

/** An error body, as an example. */
export interface ErrorExample {
  detail: string;
  code: string;
  errors?: FieldError[];
}

/** A route's error answer for the reference: its status, what it means at that route, and a real body. */
export interface ErrorCase {
  status: number;
  description?: string;
  example: ErrorExample;
}

/** The error answer a route gives as `error` (from the error registry, so its example is the real sentence). */
export function errorCase(error: AppError, description?: string): ErrorCase {
  return {
    status: error.status,
    description,
    example: { detail: error.message, code: error.code, ...(error.errors ? { errors: error.errors } : {}) },
  };
}

/** What the reference says of the errors of every route that needs a key: no valid key, too many requests. */
const UNAUTHORIZED = errorCase(errors.unauthorized(), 'No API key, or one that is malformed, unknown or deleted.');
const RATE_LIMITED = errorCase(
  errors.rateLimited(10, 1),
  "Over the key's requests per second (its plan's), or too many failed keys from this address: see Retry-After.",
);

/**
 * A route's answers: its own (`ok`), then its errors, each a status or an ErrorCase with its example and
 * meaning; a 401 for a missing or invalid key and a 429 for too many requests are added to all. Error answers
 * are the Error schema; the examples of one status are published with it by openapi.ts (a `$ref` takes no
 * examples of its own).
 */
export function withErrors<T extends Record<number, unknown>>(
  ok: T,
  ...cases: Array<number | ErrorCase>
): Record<number, unknown> {
  const out: Record<number, unknown> = { ...ok };
  const byStatus = new Map<number, ErrorCase[]>();
  for (const c of [UNAUTHORIZED, ...cases, RATE_LIMITED]) {
    const status = typeof c === 'number' ? c : c.status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), ...(typeof c === 'number' ? [] : [c])]);
  }
  for (const [status, list] of byStatus) {
    const description = list.flatMap((c) => (c.description ? [c.description] : [])).join(' ');
    out[status] = {
      $ref: 'Error#',
      ...(description ? { description } : {}),
      ...(list.length ? { examples: list.map((c) => c.example) } : {}),
    };
  }
  return out;
}

/** A list's 422 for a limit over `max`, as the reference shows it; `description` says what else is refused. */
export function badPaging(max: number, description = 'A page or limit is out of range.'): ErrorCase {
  return errorCase(errors.validation([{ field: 'limit', error: `must be at most ${max}` }]), description);
}

/** The answer of a DELETE: which resource, and that it is gone. */
export const deletedBody = answer({
  id: idOf('The id of what was deleted.'),
  deleted: { type: 'boolean', description: 'Always true: the resource is gone.' },
});

/** The answer of deleting the resource with id `exampleId`, as the reference shows it. */
export function deletedAnswer(resource: string, exampleId: string) {
  return documented(deletedBody, `The ${resource} is deleted.`, { id: exampleId, deleted: true });
}

/** GET /healthz. */
export const healthBody = documented(
  answer({
    status: { type: 'string', enum: ['ok'], description: 'Always ok: any other state is a 503.' },
    sandbox: { type: 'boolean', description: 'Whether the server runs in sandbox mode (TAIFA_SANDBOX).' },
    delivery: {
      type: 'string',
      enum: ['direct', 'relay', 'sandbox'],
      description:
        "How mail leaves: direct (to each domain's MX), relay (through TAIFA_SMTP_RELAY_URL) or sandbox (captured).",
    },
  }),
  'The server is ready and its database answers.',
  { status: 'ok', sandbox: false, delivery: 'direct' },
);
