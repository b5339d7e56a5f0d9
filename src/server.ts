import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { bootstrapFirstAccount } from './services/accounts.js';
import { bootstrapDashboardUser, type BootstrappedUser } from './services/users.js';
import { DirectTransport } from './delivery/direct-transport.js';
import { RelayTransport } from './delivery/relay-transport.js';
import { SandboxTransport } from './delivery/sandbox-transport.js';
import type { Transport } from './delivery/transport.js';
import { DeliveryWorker } from './delivery/worker.js';
import { Scheduler } from './delivery/scheduler.js';
import { createResolver, hostLookup } from './dns/resolver.js';
import { migrateToLatest, openStore, type Store } from './store/database.js';
import { concurrentWriters } from './store/dialects/write-transactions.js';
import { GroupCommitter } from './store/group-commit.js';
import { TtlCache } from './ttl-cache.js';
import { restrictToOwner, type ModeChange } from './file-modes.js';
import { ensureSecret, secretFile } from './secret.js';
import { SecretBox } from './secret-box.js';
import { SessionTokens } from './session-tokens.js';
import { sealPlainSecrets } from './services/secrets-at-rest.js';
import { TrackingTokens, UnsubscribeTokens } from './tracking/tokens.js';
import { HitBuffer } from './tracking/recording/hit-buffer.js';
import { InboundListener } from './inbound/listener.js';
import { inboundHandlers } from './services/inbound-mail.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookSender } from './webhooks/sender.js';
import { EventPruner } from './services/event-retention.js';

/** How long a key's owner and a sender stay cached: a deleted key or sender stops working within this (at once in this
 * process). */
const AUTH_CACHE_MS = 1000;

/** A running Taifa Mail process. */
export interface Server {
  config: Readonly<Config>;
  store: Store;
  /** Seals and opens the secrets stored in the database. */
  secrets: SecretBox;
  app: FastifyInstance;
  worker: DeliveryWorker | null;
  /** `http://host:port` the API listens on. */
  url: string;
  /** The port the inbound SMTP listener took, when this process runs the inbound role. */
  inboundPort: number | null;
  /** The first account's key when this start created it without a bootstrap key (print it once). */
  bootstrapKey: string | null;
  /** The dashboard user this start created (TAIFA_BOOTSTRAP_ADMIN_*, or sandbox mode's demo user), with its password
   * when it was generated (print it once). */
  bootstrapUser: { email: string; password: string | null } | null;
  /** Drains: stop accepting, stop claiming, finish and record in-flight work, close the database. */
  close(): Promise<void>;
}

function createTransport(config: Readonly<Config>, store: Store, log: Logger): Transport {
  const opts = {
    maxConnections: config.maxConnectionsPerDestination,
    heloName: config.heloName,
    timeoutMs: config.smtpTimeoutMs,
  };
  if (config.sandbox) return new SandboxTransport(store.db);
  if (config.delivery === 'relay') return new RelayTransport(config.smtpRelayUrl!, opts);
  return new DirectTransport(createResolver(config.dnsServers), { ...opts, port: config.mxPort, log });
}

/** Says in the log that a file or folder of the data was readable by others, and what was done about it. */
function modeChangeLogger(log: Logger): (change: ModeChange) => void {
  return (c) =>
    c.error
      ? log.warn(
          { path: c.path, from: c.from, to: c.to, err: c.error },
          'could not tighten the permissions of a data file',
        )
      : log.warn(
          { path: c.path, from: c.from, to: c.to },
          'tightened the permissions of a data file readable by others',
        );
}

/** Seals the secrets still stored plain and says so; warns while some are under TAIFA_SECRET_PREVIOUS. */
async function sealSecretsAtStart(store: Store, secrets: SecretBox, log: Logger): Promise<void> {
  const report = await sealPlainSecrets(store, secrets);
  if (report.sealed > 0)
    log.info(
      { count: report.sealed, keyId: secrets.keyId },
      'encrypted the DKIM keys and webhook secrets stored plain',
    );
  if (report.underPrevious > 0)
    log.warn(
      { count: report.underPrevious, keyId: secrets.previousKeyId },
      'stored secrets are still encrypted under TAIFA_SECRET_PREVIOUS: run `taifa secrets rotate`',
    );
  else if (secrets.previousKeyId) log.info('no stored secret is under TAIFA_SECRET_PREVIOUS any more: it can be unset');
}

/** Says that this start created a dashboard user, where to log in, and a generated password, this once. */
function logDashboardUser(log: Logger, created: BootstrappedUser, publicUrl: string): void {
  const { email } = created.user;
  if (created.reason === 'admin')
    log.info(
      { email, url: publicUrl },
      `created the dashboard user ${email} (TAIFA_BOOTSTRAP_ADMIN_EMAIL): log in at ${publicUrl}`,
    );
  else
    log.warn(
      { email, password: created.password, url: publicUrl },
      `SANDBOX MODE: created the demo dashboard user ${email} with the password ${created.password} (shown only this once): log in at ${publicUrl}`,
    );
}

/** Opens the database, applies migrations, bootstraps the first account, starts the roles and listens. */
export async function startServer(
  config: Readonly<Config>,
  log: Logger = pino({ level: config.logLevel }),
): Promise<Server> {
  // The data folder is ours alone (the database's own files are the store's to keep, wherever they are).
  const onModeChange = modeChangeLogger(log);
  for (const p of [config.dataDir, secretFile(config.dataDir)]) {
    const change = restrictToOwner(p);
    if (change) onModeChange(change);
  }
  const secret = ensureSecret(config.secret, config.dataDir);
  const secrets = SecretBox.fromSecrets(secret, config.previousSecret);
  const store = openStore(config.databaseUrl, { onModeChange });
  try {
    await migrateToLatest(store);
    // A wrong TAIFA_SECRET stops the start here (SecretKeyError), rather than failing each message later.
    await sealSecretsAtStart(store, secrets, log);
  } catch (error) {
    await store.close();
    throw error;
  }
  const boot = await bootstrapFirstAccount(store, config.bootstrapApiKey);
  let dashboardUser: BootstrappedUser | null;
  try {
    dashboardUser = await bootstrapDashboardUser(store, {
      admin:
        config.bootstrapAdminEmail && config.bootstrapAdminPassword
          ? { email: config.bootstrapAdminEmail, password: config.bootstrapAdminPassword }
          : null,
      sandbox: config.sandbox,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  // Said at once: a generated password exists nowhere else, even if the start fails further on.
  if (dashboardUser) logDashboardUser(log, dashboardUser, config.publicUrl);
  const tokens = new TrackingTokens(secret, config.previousSecret);
  const unsubscribeTokens = new UnsubscribeTokens(secret, config.previousSecret);
  // Tracking hits are judged and written by a thread of their own, on a connection of its own.
  let recorder: HitBuffer | null = null;
  if (config.roles.has('tracking')) {
    const rules = {
      prefetchMs: config.prefetchSeconds * 1000,
      openCoalesceMs: config.openCoalesceSeconds * 1000,
      clickCoalesceMs: config.clickCoalesceSeconds * 1000,
      honeypotWindowMs: config.honeypotWindowSeconds * 1000,
    };
    const scannerFiles = { agents: config.scannerAgentsFiles, ranges: config.scannerRangesFiles };
    try {
      recorder = await HitBuffer.start(
        {
          databaseUrl: config.databaseUrl,
          secret,
          previousSecret: config.previousSecret,
          logLevel: log.level,
          scannerFiles,
          rules,
        },
        { log: log.child({ role: 'tracking' }), maxPending: config.trackingMaxPending },
      );
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  // Accepted emails: concurrent groups on PostgreSQL (their units take quota rows in account order, so
  // groups cannot deadlock). Delivery outcomes: one group at a time, because their units update shared
  // email rows in any order.
  const acceptCommitter = new GroupCommitter(store.db, { concurrency: concurrentWriters(store.db) });
  const committer = new GroupCommitter(store.db);

  let worker: DeliveryWorker | null = null;
  if (config.roles.has('worker')) {
    worker = new DeliveryWorker(
      store,
      committer,
      createTransport(config, store, log),
      {
        tokens,
        unsubscribeTokens,
        publicUrl: config.publicUrl,
        secrets,
        concurrency: config.workerConcurrency,
        leaseMs: config.leaseSeconds * 1000,
        pollIntervalMs: config.pollIntervalMs,
        policy: {
          scheduleSeconds: config.retryScheduleSeconds,
          maxDeferMs: config.maxDeferHours * 3_600_000,
          configFaultMaxAttempts: config.configFaultMaxAttempts,
        },
      },
      log.child({ role: 'worker' }),
    );
  }
  const activeWorker = worker;
  const scheduler = config.roles.has('worker')
    ? new Scheduler(
        store,
        { intervalMs: Math.max(config.pollIntervalMs, 100), onPromoted: () => activeWorker?.wake() },
        log.child({ role: 'scheduler' }),
      )
    : null;
  // Webhook posts: one keep-alive pool for the dispatcher and the API's test sends.
  const webhookSender = new WebhookSender({
    timeoutMs: config.webhookTimeoutMs,
    guard: { allowPrivate: config.allowPrivateWebhooks, lookup: hostLookup(config.dnsServers) },
  });
  const dispatcher = config.roles.has('webhooks')
    ? new WebhookDispatcher(
        store,
        webhookSender,
        {
          retryScheduleSeconds: config.webhookRetryScheduleSeconds,
          disableAfterMs: config.webhookDisableAfterSeconds * 1000,
          concurrency: config.webhookConcurrency,
          perEndpoint: config.webhookConcurrencyPerEndpoint,
          pollIntervalMs: config.webhookPollIntervalMs,
          leaseMs: Math.max(60_000, config.webhookTimeoutMs * 3),
        },
        log.child({ role: 'webhooks' }),
        secrets,
      )
    : null;
  // Retention: events older than TAIFA_EVENT_RETENTION_DAYS go, a small batch at a time, in the background.
  const pruner =
    config.roles.has('worker') && config.eventRetentionDays > 0
      ? new EventPruner(store, config.eventRetentionDays, log.child({ role: 'retention' }))
      : null;
  const app = await buildApp({
    config,
    store,
    committer,
    acceptCommitter,
    log,
    resolver: createResolver(config.dnsServers),
    authCache: new TtlCache(AUTH_CACHE_MS),
    senderCache: new TtlCache(AUTH_CACHE_MS),
    tracking: recorder ? { tokens, recorder } : null,
    unsubscribeTokens,
    onQueued: () => activeWorker?.wake(),
    webhookSender,
    secrets,
    sessionTokens: new SessionTokens(secret, config.previousSecret),
  });
  // Bounces, complaint reports and unsubscribe mail: the MX of every domain's return-path host.
  let inbound: InboundListener | null = null;
  if (config.roles.has('inbound')) {
    try {
      inbound = await InboundListener.start({
        host: config.inboundSmtpHost,
        port: config.inboundSmtpPort,
        name: config.heloName,
        handlers: inboundHandlers({ store, committer, unsubscribeTokens, log: log.child({ role: 'inbound' }) }),
        log: log.child({ role: 'inbound' }),
      });
    } catch (error) {
      // Closing the app also stops the recording thread (its onClose hook).
      await app.close();
      await store.close();
      throw error;
    }
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  worker?.start();
  scheduler?.start();
  dispatcher?.start();
  pruner?.start();

  let closing: Promise<void> | null = null;
  return {
    config,
    store,
    secrets,
    app,
    worker,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    inboundPort: inbound?.port ?? null,
    bootstrapKey: boot?.generated ? boot.key : null,
    bootstrapUser: dashboardUser ? { email: dashboardUser.user.email, password: dashboardUser.password } : null,
    close: () =>
      (closing ??= (async () => {
        // The worker stops claiming at once, not after the HTTP side has finished its requests; its drain is bounded.
        const workerStopped = worker?.stop(config.drainTimeoutMs);
        await inbound?.close();
        await app.close();
        await scheduler?.stop();
        await pruner?.stop();
        await workerStopped;
        await dispatcher?.stop();
        await webhookSender.close();
        await acceptCommitter.drain();
        await committer.drain();
        await store.close();
      })()),
  };
}
