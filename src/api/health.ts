import type { FastifyInstance } from 'fastify';
import { checkReady } from '../services/health.js';
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
      await checkReady(ctx.store);
      return {
        status: 'ok',
        sandbox: ctx.config.sandbox,
        delivery: ctx.config.sandbox ? 'sandbox' : ctx.config.delivery,
      };
    },
  );
}
