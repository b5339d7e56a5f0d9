import { rotateStoredSecrets } from '../services/secrets-at-rest.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import { UsageError } from './errors.js';
import { secretBox, withStore } from './store.js';

/**
 * `secrets rotate`: every stored secret encrypted under TAIFA_SECRET, from TAIFA_SECRET_PREVIOUS (or plain).
 * Nothing is written unless every one can be decrypted; running it again does nothing more.
 */
export const secretsCommands: CommandGroup = {
  name: 'secrets',
  usage: [
    [
      'secrets rotate',
      'encrypt every stored secret (DKIM keys, webhook secrets) under TAIFA_SECRET, decrypting those under ' +
        'TAIFA_SECRET_PREVIOUS (see docs/secrets.md)',
    ],
  ],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    if (name !== 'rotate')
      throw new UsageError(name ? `unknown command "secrets ${name}"` : 'secrets needs a command: rotate');
    parse(rest, {});
    // The secret is read before the store opens: a failure then leaves nothing open.
    const box = secretBox(cli.config());
    const r = await withStore(cli, (store) => rotateStoredSecrets(store, box));
    const to = `TAIFA_SECRET (key id ${box.keyId})`;
    cli.out(
      box.previousKeyId
        ? `Stored secrets: ${r.resealed} re-encrypted from TAIFA_SECRET_PREVIOUS (key id ${box.previousKeyId}) to ` +
            `${to}, ${r.sealed} stored plain encrypted. Every stored secret is now under TAIFA_SECRET: ` +
            'TAIFA_SECRET_PREVIOUS can be unset (restart the servers without it).'
        : `Stored secrets: ${r.sealed} stored plain encrypted under ${to}; every stored secret is under it ` +
            '(to change TAIFA_SECRET, give the old one as TAIFA_SECRET_PREVIOUS).',
    );
    return 0;
  },
};
