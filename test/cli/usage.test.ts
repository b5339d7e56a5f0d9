import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taifa, type CliRun } from '../helpers/cli.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

// The command line's own mistakes: one line that says what is wrong, then the usage, exit code 2 and never a
// stack trace, before anything touches the database (which is there, and stays empty).

const STACK = /\n\s+at /;

/** Every command the usage must list, as an operator types it. */
const COMMANDS = [
  'start',
  'migrate',
  'config',
  'accounts create',
  'accounts list',
  'accounts set-limits',
  'keys create',
  'keys list',
  'keys revoke',
  'domains add',
  'domains verify',
  'domains show',
  'domains list',
  'senders add',
  'senders list',
  'send --from',
  'send --file',
  'emails show',
  'secrets rotate',
  'bounces parse',
];

function refused(r: CliRun, firstLine: string | RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const [first, ...rest] = r.stderr.split('\n');
  if (typeof firstLine === 'string') expect(first).toBe(firstLine);
  else expect(first).toMatch(firstLine);
  expect(rest.join('\n')).toMatch(/^Usage:/);
  expect(r.stderr).not.toMatch(STACK);
}

describe.each(testDatabases())('the command line on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-usage-'));
    db = await createTestDatabase(kind, dir);
    env = { TAIFA_DATA_DIR: dir, DATABASE_URL: db.url };
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a misspelled or unknown option with one line, the usage and exit code 2', async () => {
    refused(
      await taifa(['accounts', 'create', '--nmae', 'Acme'], { env }),
      'taifa: unknown option --nmae (did you mean --name?)',
    );
    refused(await taifa(['keys', 'list', '--verbose'], { env }), 'taifa: unknown option --verbose');
    refused(await taifa(['accounts', 'set-limits', 'x', '--clear=yes'], { env }), 'taifa: --clear takes no value');
    refused(await taifa(['keys', 'create', '--name'], { env }), 'taifa: --name needs a value');
    refused(await taifa(['accounts', 'list', 'extra'], { env }), 'taifa: unexpected argument "extra"');
    refused(await taifa(['--frobnicate'], { env }), /^taifa: unknown option --frobnicate/);
  }, 120_000);

  it('answers an unknown command likewise, with the full usage', async () => {
    const r = await taifa(['acounts', 'list'], { env });
    refused(r, 'taifa: unknown command "acounts" (did you mean accounts?)');
    for (const command of COMMANDS) expect(r.stderr).toContain(command);
    refused(await taifa(['keys', 'rotate'], { env }), 'taifa: unknown command "keys rotate"');
    refused(await taifa(['domains'], { env }), 'taifa: domains needs a command: add, verify, show or list');
  }, 120_000);

  it('names a missing required option or argument', async () => {
    refused(await taifa(['accounts', 'create'], { env }), 'taifa: --name is required');
    refused(await taifa(['accounts', 'create', '--name', ' '], { env }), 'taifa: --name must not be empty');
    refused(await taifa(['keys', 'revoke'], { env }), 'taifa: ID is required');
    refused(await taifa(['emails', 'show'], { env }), 'taifa: ID is required');
    refused(
      await taifa(['send', '--from', 'a@example.com', '--to', 'b@example.org', '--text', 'Hi'], { env }),
      'taifa: --subject is required (or give the whole body with --file)',
    );
    refused(
      await taifa(['send', '--file', 'body.json', '--to', 'b@example.org'], { env }),
      'taifa: --file holds the whole body: give --to in the file instead',
    );
    // None of these opened the database.
    expect(fs.existsSync(path.join(dir, 'taifa.db')) && kind === 'sqlite').toBe(false);
  }, 120_000);

  it('prints its version, and the usage on help, --help and help COMMAND', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await taifa(['--version'], { env })).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });

    const help = await taifa(['help'], { env });
    expect([help.code, help.stderr]).toEqual([0, '']);
    for (const command of COMMANDS) expect(help.stdout).toContain(`  ${command}`);
    expect(help.stdout).toContain('--sandbox');
    expect(help.stdout).toContain('--account ID');
    expect((await taifa(['--help'], { env })).stdout).toBe(help.stdout);

    const keys = await taifa(['help', 'keys'], { env });
    expect(keys.code).toBe(0);
    expect(keys.stdout).toContain('keys revoke ID');
    expect(keys.stdout).not.toContain('domains add');
    expect((await taifa(['keys', 'create', '--help'], { env })).stdout).toBe(keys.stdout);
    refused(await taifa(['help', 'nothing'], { env }), 'taifa: unknown command "nothing"');
  }, 120_000);
});
