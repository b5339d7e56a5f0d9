import type { FastifyInstance } from 'fastify';
import { checkReady } from '../services/health.js';
import type { ApiContext } from './context.js';
import { errorCase, healthBody } from './schemas.js';
import { errors } from '../core/errors.js';

/** `GET /healthz`: 200 once the server is ready and its database answers. */
export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Health'],
        summary: 'Check the server is ready',
        description:
          'For load balancers and monitors, without a key: 200 once the server is ready and its database ' +
          'answers, with the delivery mode; 503 `service_unavailable` while the database does not answer.',
        security: [],
        response: {
          200: healthBody,
          503: {
            $ref: 'Error#',
            description: 'The database does not answer.',
            examples: [errorCase(errors.unavailable('The database does not answer.')).example],
          },
        },
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
