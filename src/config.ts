import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { MIN_PASSWORD_CHARS, userEmailKey } from './core/dashboard-users.js';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from './core/retry-policy.js';
import { DEFAULT_WEBHOOK_RETRY_SECONDS } from './core/webhook-retry.js';
import { SHIPPED_SCANNER_AGENTS, SHIPPED_SCANNER_RANGES } from './tracking/scanner-lists.js';

export type Role = 'api' | 'tracking' | 'worker' | 'inbound' | 'webhooks';
export const ALL_ROLES: readonly Role[] = ['api', 'tracking', 'worker', 'inbound', 'webhooks'];

/** The effective configuration: read once from the environment at start-up, validated, frozen. */
export interface Config {
  /** HTTP listener port (API, tracking, dashboard). */
  port: number;
  /** HTTP listener address. */
  host: string;
  /** Base URL of tracking and unsubscribe links, without a trailing slash. */
  publicUrl: string;
  /** `sqlite:PATH` or `postgres://…`. */
  databaseUrl: string;
  /** Signs tokens and sessions, and keys the encryption of stored secrets; null means "generate into dataDir on first
   * start". */
  secret: string | null;
  /** During a change of `secret`: the one before, which still opens the stored secrets sealed under it. */
  previousSecret: string | null;
  /** On first start with no account: create the first account with this key. */
  bootstrapApiKey: string | null;
  /** On a start with no dashboard user who can log in: create this one (on the first account), with this password. */
  bootstrapAdminEmail: string | null;
  bootstrapAdminPassword: string | null;
  /** `direct` looks up each recipient domain's MX; `relay` hands everything to a smarthost. */
  delivery: 'direct' | 'relay';
  /** `smtp://user:pass@host:port` (or `smtps://`) for relay mode. */
  smtpRelayUrl: string | null;
  /** `host:port` DNS servers for MX and verification look-ups; empty means the system's. */
  dnsServers: string[];
  /** TCP port used when delivering to an MX (25 on the internet; tests point it at a sink). */
  mxPort: number;
  /** Inbound SMTP listener for bounces, complaints and unsubscribe mails (0: any free port). */
  inboundSmtpPort: number;
  /** Address the inbound listener binds to (HOST by default; `0.0.0.0` to be the MX the world reaches). */
  inboundSmtpHost: string;
  /** Which roles this process runs. */
  roles: ReadonlySet<Role>;
  /** Folder for the SQLite file (by default) and the generated secret. */
  dataDir: string;
  /** Try-out mode: domains verify without DNS, mail goes to the capture store. */
  sandbox: boolean;
  /** Let webhooks target private and loopback addresses. */
  allowPrivateWebhooks: boolean;
  /** Delays before each retry of a webhook delivery, in seconds; once used up the delivery has failed. */
  webhookRetryScheduleSeconds: readonly number[];
  /** How long a webhook endpoint has to answer, in milliseconds. */
  webhookTimeoutMs: number;
  /** An endpoint whose every attempt failed for this long is disabled, in seconds (3 days). */
  webhookDisableAfterSeconds: number;
  /** Webhook posts in flight at once, per process. */
  webhookConcurrency: number;
  /** Webhook posts in flight at once to one endpoint. */
  webhookConcurrencyPerEndpoint: number;
  /** How often an idle webhook dispatcher looks for due deliveries, in milliseconds. */
  webhookPollIntervalMs: number;
  /** pino level. */
  logLevel: string;
  /** Failed authentications per minute from one client address (an IPv6 /64) before it gets 429; 0: no limit. */
  authFailuresPerMinute: number;
  /** Proxies whose X-Forwarded-For is believed (Fastify's trustProxy: true, a hop count, or addresses/CIDRs); false
   * trusts none. */
  trustProxy: boolean | number | string;
  /** Name we announce in EHLO and use for Message-IDs without a domain. */
  heloName: string;
  /** Delays between delivery attempts after a temporary failure, in seconds; the last repeats. */
  retryScheduleSeconds: number[];
  /** A recipient still deferred after this many hours is given up (soft bounce). */
  maxDeferHours: number;
  /** Attempts before a configuration fault on our side (relay unreachable, bad credentials) becomes `failed`. */
  configFaultMaxAttempts: number;
  /** SMTP transactions in flight at once, per worker process. */
  workerConcurrency: number;
  /** Cap on simultaneous connections to one destination (an MX's IP address, whatever names point at it, or the relay).
   * */
  maxConnectionsPerDestination: number;
  /** How long a claimed recipient stays leased to one worker, in seconds; the worker renews it every third of this
   * while it holds the recipient. */
  leaseSeconds: number;
  /** On SIGTERM, how long in-flight transactions may take to finish and be recorded, in milliseconds; after that their
   * leases are left to expire. */
  drainTimeoutMs: number;
  /** How often an idle worker looks for due work, in milliseconds. */
  pollIntervalMs: number;
  /** SMTP connect/greeting/socket timeout, in milliseconds. */
  smtpTimeoutMs: number;
  /** An open or click this soon after the message was sent is a scanner's prefetch, in seconds. */
  prefetchSeconds: number;
  /** Repeat opens of one recipient within this window count once, in seconds. */
  openCoalesceSeconds: number;
  /** Repeat clicks of one recipient on one URL within this window count once, in seconds. */
  clickCoalesceSeconds: number;
  /** A visitor who follows the hidden honeypot link is a machine for this long around it, in seconds. */
  honeypotWindowSeconds: number;
  /** Files of scanner user-agent substrings (`substring  category`), read in order; the shipped list by default. */
  scannerAgentsFiles: string[];
  /** Files of scanner address ranges (`CIDR  category`), read in order; the shipped list by default. */
  scannerRangesFiles: string[];
  /** Tracking hits waiting to be written before each answer waits (at most 250 ms) for its own write. */
  trackingMaxPending: number;
  /**
   * GET /v1/emails/updates only shows changes at least this old, in milliseconds, so that a write
   * still in flight (stamped, not yet committed) cannot later appear behind a poller's `since`.
   * Must exceed the longest write transaction plus the clock skew between processes. GET /v1/events
   * holds back events younger than this too, for the same reason (an event's id is made before it commits).
   */
  updatesSettleMs: number;
  /**
   * Events older than this many days are deleted in the background (by processes with the worker role),
   * a small batch at a time; emails keep their counters and first open and click times. 0 keeps them forever.
   */
  eventRetentionDays: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function bool(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A comma list of files that must exist, or `fallback`. */
function files(env: Env, name: string, fallback: string): string[] {
  const paths = list(env[name]).map((f) => path.resolve(f));
  for (const f of paths) if (!fs.existsSync(f)) throw new ConfigError(`${name}: no such file "${f}"`);
  return paths.length ? paths : [fallback];
}

function trustProxy(raw: string | undefined): boolean | number | string {
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw; // comma-separated addresses or CIDRs
}

/** Reads and validates the configuration from an environment (process.env in production). */
export function loadConfig(env: Env): Readonly<Config> {
  // Sandbox mode keeps its own data by default: domains it "verified" without DNS and its captured
  // mail must never turn up in a real deployment started later from the same folder.
  const dataDir = path.resolve(env.TAIFA_DATA_DIR || (bool(env, 'TAIFA_SANDBOX') ? './data/sandbox' : './data'));
  const delivery = env.TAIFA_DELIVERY || 'direct';
  if (delivery !== 'direct' && delivery !== 'relay')
    throw new ConfigError(`TAIFA_DELIVERY must be direct or relay, got "${delivery}"`);
  const smtpRelayUrl = env.TAIFA_SMTP_RELAY_URL || null;
  if (smtpRelayUrl !== null && !/^smtps?:\/\//.test(smtpRelayUrl))
    throw new ConfigError('TAIFA_SMTP_RELAY_URL must start with smtp:// or smtps://');
  const sandbox = bool(env, 'TAIFA_SANDBOX');
  if (delivery === 'relay' && !smtpRelayUrl && !sandbox)
    throw new ConfigError('TAIFA_DELIVERY=relay needs TAIFA_SMTP_RELAY_URL');
  const roleNames = list(env.TAIFA_ROLES);
  const roles = new Set<Role>();
  for (const r of roleNames.length ? roleNames : ALL_ROLES) {
    if (!(ALL_ROLES as readonly string[]).includes(r))
      throw new ConfigError(`TAIFA_ROLES: unknown role "${r}" (known: ${ALL_ROLES.join(', ')})`);
    roles.add(r as Role);
  }
  const bootstrapApiKey = env.TAIFA_BOOTSTRAP_API_KEY || null;
  if (bootstrapApiKey !== null && !/^tfm_k_[A-Za-z0-9]{32}$/.test(bootstrapApiKey)) {
    throw new ConfigError('TAIFA_BOOTSTRAP_API_KEY must be tfm_k_ followed by 32 letters or digits');
  }
  const bootstrapAdminEmail = env.TAIFA_BOOTSTRAP_ADMIN_EMAIL || null;
  const bootstrapAdminPassword = env.TAIFA_BOOTSTRAP_ADMIN_PASSWORD || null;
  if ((bootstrapAdminEmail === null) !== (bootstrapAdminPassword === null))
    throw new ConfigError(
      'TAIFA_BOOTSTRAP_ADMIN_EMAIL and TAIFA_BOOTSTRAP_ADMIN_PASSWORD go together: set both or neither',
    );
  if (bootstrapAdminEmail !== null && userEmailKey(bootstrapAdminEmail) === null)
    throw new ConfigError('TAIFA_BOOTSTRAP_ADMIN_EMAIL must be an email address');
  if (bootstrapAdminPassword !== null && bootstrapAdminPassword.length < MIN_PASSWORD_CHARS)
    throw new ConfigError(`TAIFA_BOOTSTRAP_ADMIN_PASSWORD must be at least ${MIN_PASSWORD_CHARS} characters`);
  const retry = list(env.TAIFA_RETRY_SCHEDULE).map(Number);
  if (retry.some((n) => !Number.isFinite(n) || n <= 0))
    throw new ConfigError('TAIFA_RETRY_SCHEDULE must be a comma list of positive seconds');
  const webhookRetry = list(env.TAIFA_WEBHOOK_RETRY_SCHEDULE).map(Number);
  if (webhookRetry.some((n) => !Number.isFinite(n) || n <= 0))
    throw new ConfigError('TAIFA_WEBHOOK_RETRY_SCHEDULE must be a comma list of positive seconds');
  const port = int(env, 'PORT', 3000);
  const config: Config = {
    port,
    host: env.HOST || '127.0.0.1',
    // By default the links point at this listener, on whatever port it was given (set it with PORT=0: any port).
    publicUrl: (env.TAIFA_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    databaseUrl: env.DATABASE_URL || `sqlite:${path.join(dataDir, 'taifa.db')}`,
    secret: env.TAIFA_SECRET || null,
    previousSecret: env.TAIFA_SECRET_PREVIOUS || null,
    bootstrapApiKey,
    bootstrapAdminEmail,
    bootstrapAdminPassword,
    delivery,
    smtpRelayUrl,
    dnsServers: list(env.TAIFA_DNS_SERVERS),
    mxPort: int(env, 'TAIFA_MX_PORT', 25, 1),
    inboundSmtpPort: int(env, 'TAIFA_INBOUND_SMTP_PORT', 2525),
    inboundSmtpHost: env.TAIFA_INBOUND_SMTP_HOST || env.HOST || '127.0.0.1',
    roles,
    dataDir,
    sandbox,
    allowPrivateWebhooks: bool(env, 'TAIFA_ALLOW_PRIVATE_WEBHOOKS'),
    webhookRetryScheduleSeconds: webhookRetry.length ? webhookRetry : DEFAULT_WEBHOOK_RETRY_SECONDS,
    webhookTimeoutMs: int(env, 'TAIFA_WEBHOOK_TIMEOUT_MS', 10_000, 100),
    webhookDisableAfterSeconds: int(env, 'TAIFA_WEBHOOK_DISABLE_AFTER_SECONDS', 3 * 86_400, 1),
    webhookConcurrency: int(env, 'TAIFA_WEBHOOK_CONCURRENCY', 64, 1),
    webhookConcurrencyPerEndpoint: int(env, 'TAIFA_WEBHOOK_CONCURRENCY_PER_ENDPOINT', 16, 1),
    webhookPollIntervalMs: int(env, 'TAIFA_WEBHOOK_POLL_INTERVAL_MS', 250, 10),
    logLevel: env.LOG_LEVEL || 'info',
    trustProxy: trustProxy(env.TAIFA_TRUST_PROXY),
    authFailuresPerMinute: int(env, 'TAIFA_AUTH_FAILURES_PER_MINUTE', 20),
    heloName: env.TAIFA_HELO_NAME || os.hostname(),
    retryScheduleSeconds: retry.length ? retry : DEFAULT_RETRY_SCHEDULE_SECONDS,
    maxDeferHours: int(env, 'TAIFA_MAX_DEFER_HOURS', 72, 0),
    configFaultMaxAttempts: int(env, 'TAIFA_CONFIG_FAULT_MAX_ATTEMPTS', 8, 1),
    workerConcurrency: int(env, 'TAIFA_WORKER_CONCURRENCY', 40, 1),
    maxConnectionsPerDestination: int(env, 'TAIFA_MAX_CONNECTIONS_PER_DESTINATION', 20, 1),
    leaseSeconds: int(env, 'TAIFA_LEASE_SECONDS', 120, 1),
    drainTimeoutMs: int(env, 'TAIFA_DRAIN_TIMEOUT_MS', 30_000),
    pollIntervalMs: int(env, 'TAIFA_POLL_INTERVAL_MS', 500, 10),
    smtpTimeoutMs: int(env, 'TAIFA_SMTP_TIMEOUT_MS', 60_000, 100),
    prefetchSeconds: int(env, 'TAIFA_PREFETCH_SECONDS', 10),
    openCoalesceSeconds: int(env, 'TAIFA_OPEN_COALESCE_SECONDS', 60),
    clickCoalesceSeconds: int(env, 'TAIFA_CLICK_COALESCE_SECONDS', 30),
    honeypotWindowSeconds: int(env, 'TAIFA_HONEYPOT_WINDOW_SECONDS', 300),
    scannerAgentsFiles: files(env, 'TAIFA_SCANNER_AGENTS_FILE', SHIPPED_SCANNER_AGENTS),
    scannerRangesFiles: files(env, 'TAIFA_SCANNER_RANGES_FILE', SHIPPED_SCANNER_RANGES),
    trackingMaxPending: int(env, 'TAIFA_TRACKING_MAX_PENDING', 20_000),
    updatesSettleMs: int(env, 'TAIFA_UPDATES_SETTLE_MS', 5000),
    eventRetentionDays: int(env, 'TAIFA_EVENT_RETENTION_DAYS', 30),
  };
  return Object.freeze(config);
}

/** What a secret is printed as: nothing of it, not even its first or last characters. */
const MASK = '********';

/** A URL with its password hidden, in the user part (`//user:pass@`) and in a `password=` parameter (PostgreSQL). */
function maskUrl(url: string): string {
  // The user part runs to the last @ of the authority (a password may hold an @ of its own).
  const userPart = /^([a-z][a-z\d+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  const user = userPart?.[2]?.split(':', 1)[0];
  const masked = userPart ? `${userPart[1]}${user}:${MASK}@${url.slice(userPart[0].length)}` : url;
  return masked.replace(/([?&]password=)[^&#]*/gi, `$1${MASK}`);
}

/** The configuration for printing: secrets masked entirely. */
export function maskedConfig(config: Config): Record<string, unknown> {
  const mask = (s: string | null) => (s ? MASK : s);
  return {
    ...config,
    roles: [...config.roles],
    secret: mask(config.secret),
    previousSecret: mask(config.previousSecret),
    bootstrapApiKey: mask(config.bootstrapApiKey),
    bootstrapAdminPassword: mask(config.bootstrapAdminPassword),
    databaseUrl: maskUrl(config.databaseUrl),
    smtpRelayUrl: config.smtpRelayUrl === null ? null : maskUrl(config.smtpRelayUrl),
  };
}
