import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './schemas.js';

/**
 * Registers the OpenAPI 3.1 generator (before any route, so it sees them all): the document is built
 * from the route schemas and served at /v1/openapi.json, rendered at /docs.
 */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  app.addSchema(errorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Taifa Mail API',
        version: '1',
        description:
          'Transactional email: send, schedule, track and search. Errors are {detail, code, errors[{field, error}]}.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'tfm_k_… API key' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'taifa_session',
            description: 'The dashboard session (POST /v1/auth/login); writes also need the header X-Taifa-Csrf: 1',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
}

/**
 * Serves the document and its rendered reference (after the routes are registered). GET /docs answers
 * 200 with the Swagger UI page, /docs/ too (no redirect); the page loads the document from /docs/json.
 */
export async function serveOpenApi(app: FastifyInstance): Promise<void> {
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
