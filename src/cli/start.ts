import pino from 'pino';
import { parse } from './args.js';
import type { CommandGroup } from './command.js';
import { describeDatabase } from './store.js';

/** `taifa start`: runs the server until SIGTERM or SIGINT, then drains. */
export const startCommand: CommandGroup = {
  name: 'start',
  usage: [['start [--sandbox]', 'run the server (API, worker…) — the default; --sandbox as `npm run sandbox`']],
  async run(cli, args) {
    parse(args, {});
    const config = cli.config();
    // Loaded here: the server's modules (HTTP, SMTP, the worker) are most of the code, and no other command needs them.
    const { startServer } = await import('../server.js');
    const log = pino({ level: config.logLevel });
    const server = await startServer(config, log);
    if (config.sandbox) {
      log.warn(
        'SANDBOX MODE: domains verify without DNS and no email leaves this machine; messages are kept in the capture store (GET /v1/emails/{id}/raw).',
      );
    }
    if (server.bootstrapKey) {
      cli.out(
        [
          '',
          'Created the first account. Its API key is shown only this once:',
          '',
          `    ${server.bootstrapKey}`,
          '',
          'Try it:',
          `    curl -s ${server.url}/v1/domains -H "Authorization: Bearer ${server.bootstrapKey}"`,
          '',
        ].join('\n'),
      );
    }
    log.info(
      {
        url: server.url,
        roles: [...config.roles],
        delivery: config.sandbox ? 'sandbox' : config.delivery,
        database: describeDatabase(config),
      },
      'Taifa Mail is ready',
    );
    const shutdown = (signal: string) => {
      log.info({ signal }, 'draining: no new work; finishing in-flight deliveries');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'error while draining');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    return -1; // keeps running
  },
};
