import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const run = promisify(execFile);

describe('the configuration', () => {
  it('points the default public URL at the address and port it listens on', () => {
    expect(loadConfig({}).publicUrl).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ PORT: '8025' }).publicUrl).toBe('http://127.0.0.1:8025');
    expect(loadConfig({ PORT: '8025', HOST: 'mail.example.com' }).publicUrl).toBe('http://mail.example.com:8025');
    expect(loadConfig({ HOST: '::1' }).publicUrl).toBe('http://[::1]:3000');
    // Every interface: the one name that reaches it from this machine.
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8025' }).publicUrl).toBe('http://localhost:8025');
    expect(loadConfig({ HOST: '::' }).publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8025', TAIFA_PUBLIC_URL: 'https://mail.example.com/' }).publicUrl).toBe(
      'https://mail.example.com',
    );
  });

  it('`taifa config` prints no character of any secret', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-config-'));
    // Random-looking, so that no run of four of their characters appears in the output by chance.
    const secrets = {
      secret: 'Sx7qJ3vN9wKpQ2zR8tWk',
      key: 'tfm_k_Kq3Zh8XcV2bN6mL4pQ9rT1yU5wE7jH0f',
      dbPassword: 'Pg5vXq2@Zk9Wm4Jt8',
      dbQueryPassword: 'Qy4nB7xV3kZ9pM2w',
      relayPassword: 'Rl2mH6yQ8zK3vX5b',
    };
    try {
      const env = {
        ...process.env,
        TAIFA_DATA_DIR: dir,
        PORT: '8025',
        TAIFA_SECRET: secrets.secret,
        TAIFA_BOOTSTRAP_API_KEY: secrets.key,
        DATABASE_URL: `postgres://taifa:${secrets.dbPassword}@db.internal:5432/taifa?password=${secrets.dbQueryPassword}&sslmode=require`,
        TAIFA_DELIVERY: 'relay',
        TAIFA_SMTP_RELAY_URL: `smtp://mailer:${secrets.relayPassword}@relay.internal:587`,
      };
      const { stdout } = await run('node', ['bin/taifa.js', 'config'], { env });
      const printed = JSON.parse(stdout);
      // No prefix, no suffix: not even four characters in a row of any secret (the key's tfm_k_ is not secret).
      for (const value of Object.values(secrets)) {
        const hidden = value.replace(/^tfm_k_/, '');
        for (let i = 0; i + 4 <= hidden.length; i++) expect(stdout).not.toContain(hidden.slice(i, i + 4));
      }
      expect(printed.secret).toBe('********');
      expect(printed.bootstrapApiKey).toBe('********');
      expect(printed.databaseUrl).toBe(
        'postgres://taifa:********@db.internal:5432/taifa?password=********&sslmode=require',
      );
      expect(printed.smtpRelayUrl).toBe('smtp://mailer:********@relay.internal:587');
      // What is not secret is shown as it is.
      expect(printed.publicUrl).toBe('http://127.0.0.1:8025');
      expect(printed.port).toBe(8025);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`taifa config` shows an unset secret as unset, and a URL without a password as it is', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-config-'));
    try {
      const env = {
        ...process.env,
        TAIFA_DATA_DIR: dir,
        TAIFA_SECRET: '',
        TAIFA_BOOTSTRAP_API_KEY: '',
        DATABASE_URL: 'postgres://db.internal/taifa',
      };
      const printed = JSON.parse((await run('node', ['bin/taifa.js', 'config'], { env })).stdout);
      expect([printed.secret, printed.bootstrapApiKey]).toEqual([null, null]);
      expect(printed.databaseUrl).toBe('postgres://db.internal/taifa');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
