import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';
import type { ApiContext } from './context.js';
import { healthBody } from './schemas.js';

/** `GET /healthz`: 200 once the server is ready and its database answers. */
export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Health'],
        summary: 'Ready and the database answers',
        security: [],
        response: { 200: healthBody, 503: { $ref: 'Error#' } },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(ctx.store.db);
      } catch {
        throw errors.unavailable('The database does not answer.');
      }
      return {
        status: 'ok',
        sandbox: ctx.config.sandbox,
        delivery: ctx.config.sandbox ? 'sandbox' : ctx.config.delivery,
      };
    },
  );
}
