import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `taifa bounces parse FILE…`: one JSON object keyed by the paths as given, each recipient with exactly
// the documented fields; an unreadable file is named on stderr, maps to [] and makes the exit code 1.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['src/main.ts', ...args],
      { cwd: ROOT },
      (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
    );
  });
}

describe('taifa bounces parse', () => {
  it('prints one JSON object mapping each path to its recipients', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-bounces-'));
    const file = path.join(dir, 'qmail.eml');
    fs.writeFileSync(
      file,
      [
        'From: MAILER-DAEMON@mx.example.net',
        'Subject: failure notice',
        '',
        'Hi. This is the qmail-send program at mx.example.net.',
        '',
        '<gone@example.org>:',
        'Remote host said: 550 5.1.1 <gone@example.org>... User unknown',
        '',
      ].join('\n'),
    );
    const missing = path.join(dir, 'missing.eml');
    const r = await run(['bounces', 'parse', file, missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(JSON.parse(r.stdout)).toEqual({
      [file]: [
        {
          recipient: 'gone@example.org',
          status: '5.1.1',
          reply_code: '550',
          action: 'failed',
          reason: 'user_unknown',
          hard: true,
          feedback_type: '',
        },
      ],
      [missing]: [],
    });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('prints the usage without a file', async () => {
    const r = await run(['bounces', 'parse']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bounces parse FILE');
  }, 60_000);
});
