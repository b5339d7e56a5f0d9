import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';

const run = promisify(execFile);

/**
 * The README's sandbox quickstart, exactly as written: its curl lines are read out of README.md and
 * run by bash and curl against `taifa start` in sandbox mode, so the README cannot drift from what
 * works. Only the address (the test listens on a free port), the key and the ids it tells the reader
 * to paste in are substituted.
 */
function quickstartCommands(): string[] {
  const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('In another terminal'), readme.indexOf('The same steps run as tests'));
  const lines = section
    .split('\n')
    .filter((l) => l.startsWith('    '))
    .map((l) => l.slice(4));
  const commands: string[] = [];
  let current = '';
  for (const line of lines) {
    if (line.startsWith('#') || line.startsWith('export KEY=')) continue;
    if (current) current += '\n' + line;
    else if (line.startsWith('curl ')) current = line;
    // A command ends where its quotes close and no backslash continues it.
    if (current && (current.split("'").length - 1) % 2 === 0 && !current.endsWith('\\')) {
      commands.push(current);
      current = '';
    }
  }
  return commands;
}

describe('the README quickstart, run as written', () => {
  let dir: string;
  let server: ChildServer;
  let key = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-readme-'));
    server = await startChildServer({
      PORT: '0',
      TAIFA_SANDBOX: 'true',
      TAIFA_DATA_DIR: dir,
      TAIFA_BOOTSTRAP_API_KEY: '',
      DATABASE_URL: '',
      TAIFA_POLL_INTERVAL_MS: '50',
    });
    key = /only this once:\s+(tfm_k_[A-Za-z0-9]{32})/.exec(server.stdout)?.[1] ?? '';
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('goes from a new domain to a delivered, readable, DKIM-signed email with the curl lines of the README', async () => {
    expect(server.stdout).toContain('SANDBOX MODE');
    expect(key).toMatch(/^tfm_k_/);
    const commands = quickstartCommands();
    expect(commands).toHaveLength(6);

    let domainId = '';
    let emailId = '';
    const curl = async (i: number): Promise<any> => {
      const command = commands[i]!.replaceAll('http://127.0.0.1:3000', server.url)
        .replaceAll('DOMAIN_ID', domainId)
        .replaceAll('EMAIL_ID', emailId);
      const { stdout } = await run('bash', ['-c', command], { env: { ...process.env, KEY: key } });
      return i === 5 ? stdout : JSON.parse(stdout);
    };

    const domain = await curl(0);
    expect(domain).toMatchObject({ name: 'example.com', status: 'pending' });
    expect(domain.records.map((r: { purpose: string }) => r.purpose)).toEqual(
      expect.arrayContaining(['dkim', 'spf', 'return_path', 'dmarc']),
    );
    domainId = domain.id;
    expect((await curl(1)).status).toBe('verified');
    expect(await curl(2)).toMatchObject({ email: 'hello@example.com' });
    const sent = await curl(3);
    expect(sent).toMatchObject({ status: 'queued', rejection_reason: null });
    emailId = sent.id;

    let detail: any;
    for (let i = 0; i < 200; i++) {
      detail = await curl(4);
      if (detail.status === 'delivered') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(detail.status).toBe('delivered');
    expect(detail.events.map((e: { event_type: string }) => e.event_type)).toEqual(['queued', 'sent', 'delivered']);
    expect(detail.events[2].metadata).toMatchObject({ captured: true });

    const raw: string = await curl(5);
    expect(raw).toMatch(/^DKIM-Signature: /m);
    expect(raw).toMatch(/^Subject: Welcome aboard\r?$/m);
    expect(raw).toMatch(/^To: Jane Doe <jane@example\.org>\r?$/m);
  });
});
