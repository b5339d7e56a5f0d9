import { parse } from './args.js';
import type { CommandGroup } from './command.js';
import { describeDatabase, loadStore } from './store.js';

/** `taifa migrate`: applies the database migrations (the server does so at start too) and exits. */
export const migrateCommand: CommandGroup = {
  name: 'migrate',
  usage: [['migrate', 'apply database migrations and exit']],
  async run(cli, args) {
    parse(args, {});
    const config = cli.config();
    cli.out(`Database: ${describeDatabase(config)}`);
    const { migrateToLatest, openStore } = await loadStore();
    const store = openStore(config.databaseUrl);
    try {
      const applied = await migrateToLatest(store);
      cli.out(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
    } finally {
      await store.close();
    }
    return 0;
  },
};
