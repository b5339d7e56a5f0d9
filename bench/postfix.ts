// Debian's Postfix as a baseline for the benchmarks: a throwaway instance with its own config,
// queue and data directories under a temp folder (the machine's /etc/postfix and /var/spool/postfix
// are not touched), smtpd on 127.0.0.1 only on a non-25 port, relaying everything to the bench's sink.
//
// Incoming mail is put on hold by smtpd (check_client_access static:HOLD), so accepting it is
// measured alone — the counterpart of Taifa Mail with TAIFA_ROLES=api — and the held queue is a
// ready-made backlog for the delivery measurement: release() moves it to the deferred queue and
// flushes it, which is Postfix draining its queue to the relay, like Taifa's worker starting on a
// queue of N. Only used when /usr/sbin/postfix exists.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { addOwnRoot, freePort, onCleanupSync, sleep, spawnChild, tempDir, waitForPort } from './lib.js';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';
const SMTP_SOURCE = '/usr/sbin/smtp-source';

/** Whether Postfix (and its smtp-source load generator) is installed. */
export function havePostfix(): boolean {
  return fs.existsSync(POSTFIX) && fs.existsSync(SMTP_SOURCE) && fs.existsSync('/etc/postfix/master.cf');
}

/** Postfix's version, e.g. "3.7.11". */
export function postfixVersion(): string {
  try {
    return execFileSync('/usr/sbin/postconf', ['-h', 'mail_version'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** A running throwaway Postfix. */
export interface Postfix {
  dir: string;
  /** The master daemon's pid: every Postfix process of the instance descends from it. */
  masterPid: number;
  smtpPort: number;
  /**
   * Sends `n` messages of `bytes` bytes with smtp-source over `sessions` parallel SMTP sessions,
   * each session sending message after message over one connection (-d), like HTTP keep-alive.
   * Returns the seconds it took.
   */
  inject(n: number, bytes: number, sessions: number): Promise<number>;
  /** Messages in the hold queue (files in queue/hold). */
  held(): number;
  /** Messages anywhere in the queue (incoming, active, deferred, hold). */
  queued(): number;
  /** Releases the hold queue and flushes it: Postfix starts delivering to the relay now. */
  release(): Promise<void>;
  /** Sums the resident memory of the instance's processes (MiB), or null when it cannot tell. */
  rssMiB(): number | null;
  stop(): Promise<void>;
}

function countFiles(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else n++;
    }
  };
  walk(dir);
  return n;
}

function isRunning(etc: string): boolean {
  try {
    execFileSync(POSTFIX, ['-c', etc, 'status'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Configures and starts a throwaway Postfix: smtpd on 127.0.0.1 (a free port), relayhost
 * [127.0.0.1]:`relayPort`, at most `concurrency` simultaneous deliveries to it, no local delivery.
 * `log`: where Postfix logs (default /dev/null; a file under the temp dir for debugging).
 */
export async function startPostfix(opts: {
  relayPort: number;
  concurrency: number;
  log?: 'file' | 'null';
}): Promise<Postfix> {
  const dir = tempDir('taifa-bench-postfix-');
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc');
  const queue = path.join(dir, 'queue');
  const data = path.join(dir, 'data');
  for (const d of [etc, queue, data]) fs.mkdirSync(d, { recursive: true });
  execFileSync('chown', ['postfix', data]);
  const smtpPort = await freePort();
  const maillog = opts.log === 'file' ? path.join(dir, 'maillog') : '/dev/null';
  fs.writeFileSync(
    path.join(etc, 'main.cf'),
    [
      '# Throwaway Postfix for bench/: loopback only, relays everything to the bench sink.',
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      `maillog_file = ${maillog}`,
      `maillog_file_prefixes = /dev/null, ${dir}`,
      'myhostname = bench.localdomain',
      'mydomain = localdomain',
      'myorigin = $myhostname',
      'mydestination =',
      'local_recipient_maps =',
      'local_transport = error:local delivery is disabled',
      'alias_maps =',
      'alias_database =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      `relayhost = [127.0.0.1]:${opts.relayPort}`,
      'smtp_tls_security_level = none',
      'smtpd_tls_security_level = none',
      `default_destination_concurrency_limit = ${opts.concurrency}`,
      // Accepting is measured alone: every accepted message goes to the hold queue until release().
      'smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject',
      // Do not slow smtpd down while nothing is being delivered (in_flow_delay would, by design).
      'in_flow_delay = 0',
      'smtpd_client_connection_count_limit = 0',
      'smtpd_client_connection_rate_limit = 0',
      'smtpd_client_message_rate_limit = 0',
      '',
    ].join('\n'),
  );
  fs.copyFileSync('/etc/postfix/master.cf', path.join(etc, 'master.cf'));
  const postconf = (...args: string[]) => run('/usr/sbin/postconf', ['-c', etc, ...args]);
  await postconf('-M', `smtp/inet=127.0.0.1:${smtpPort} inet n - n - - smtpd`);
  await postconf('-F', '*/*/chroot = n');
  await postconf('-M', 'postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd');

  // Stopped at the end whatever happens (before its temp dir is removed: registered after it).
  onCleanupSync(() => {
    if (!isRunning(etc)) return;
    try {
      execFileSync(POSTFIX, ['-c', etc, 'stop'], { stdio: 'ignore' });
    } catch {
      /* already stopped */
    }
    const until = Date.now() + 5000;
    while (isRunning(etc) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  });
  try {
    await run(POSTFIX, ['-c', etc, 'start']);
  } catch (e) {
    throw new Error(`postfix -c ${etc} start failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
  await waitForPort(smtpPort, 10_000);
  const master = Number(fs.readFileSync(path.join(queue, 'pid', 'master.pid'), 'utf8').trim());
  if (master > 0) addOwnRoot(master);

  const masterPid = (): number | null => {
    try {
      return Number(fs.readFileSync(path.join(queue, 'pid', 'master.pid'), 'utf8').trim());
    } catch {
      return null;
    }
  };

  return {
    dir,
    masterPid: master,
    smtpPort,
    async inject(n, bytes, sessions) {
      const start = Date.now();
      const child = spawnChild('smtp-source', SMTP_SOURCE, [
        '-d',
        '-s',
        String(sessions),
        '-m',
        String(n),
        '-l',
        String(bytes),
        '-M',
        'client.bench.localdomain',
        '-f',
        'receipts@bench.example.com',
        '-t',
        'customer@recipient.example',
        `127.0.0.1:${smtpPort}`,
      ]);
      const code = await child.exited;
      if (code !== 0) throw new Error(`smtp-source exited ${code}: ${child.output()}`);
      return (Date.now() - start) / 1000;
    },
    held: () => countFiles(path.join(queue, 'hold')),
    queued: () => ['incoming', 'active', 'deferred', 'hold'].reduce((s, q) => s + countFiles(path.join(queue, q)), 0),
    async release() {
      await run('/usr/sbin/postsuper', ['-c', etc, '-H', 'ALL']);
      await run('/usr/sbin/postqueue', ['-c', etc, '-f']);
    },
    rssMiB() {
      const master = masterPid();
      if (!master) return null;
      // The master and its children (smtpd, qmgr, smtp, cleanup, …): their parent is the master.
      let kb = 0;
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
          const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
          if (Number(pid) === master || ppid === master) kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        } catch {
          /* gone */
        }
      }
      return kb / 1024;
    },
    async stop() {
      if (!isRunning(etc)) return;
      await run(POSTFIX, ['-c', etc, 'stop']).catch(() => undefined);
      for (let i = 0; i < 100 && isRunning(etc); i++) await sleep(100);
    },
  };
}
