import type { promises as dns } from 'node:dns';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { LimitOverrides, Plan } from '../model.js';
import type { SecretBox } from '../secret-box.js';
import type { SessionTokens } from '../session-tokens.js';
import type { Store } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
import type { KeyOwner } from '../store/accounts-repo.js';
import type { SenderCache } from '../services/accept-email.js';
import type { TtlCache } from '../ttl-cache.js';
import type { TrackingDeps } from '../tracking/routes.js';
import type { UnsubscribeTokens } from '../tracking/tokens.js';
import type { WebhookSender } from '../webhooks/sender.js';

/** What route modules need: configuration, storage and the few shared services. */
export interface ApiContext {
  config: Readonly<Config>;
  store: Store;
  /** Group commits of delivery outcomes (and of anything else written in the background). */
  committer: GroupCommitter;
  /** Group commits of accepted emails (the 202 path). */
  acceptCommitter: GroupCommitter;
  resolver: dns.Resolver;
  log: Logger;
  /** Key owners and senders seen in the last second: the send path's reads, cached briefly. */
  authCache: TtlCache<KeyOwner>;
  senderCache: SenderCache;
  /** The tracking endpoints' needs, when this process runs the tracking role. */
  tracking: Omit<TrackingDeps, 'log'> | null;
  /** Verifies the tokens of the unsubscribe endpoints. */
  unsubscribeTokens: UnsubscribeTokens;
  /** Called after an email was committed, so an in-process worker can claim it at once. */
  onQueued: () => void;
  /** Posts webhook test sends (the dispatcher posts the outbox with the same pool). */
  webhookSender: WebhookSender;
  /** Seals and opens the secrets stored in the database (DKIM keys, webhook signing secrets). */
  secrets: SecretBox;
  /** Signs and verifies the dashboard's session cookies. */
  sessionTokens: SessionTokens;
}

/** Who a request authenticated as: with an API key, or with a dashboard session cookie. */
export interface AuthContext {
  accountId: string;
  userId: string;
  /** The API key the request carried, or null for a dashboard session. */
  keyId: string | null;
  /** The dashboard session (its JWT's jti) the request carried, or null for an API key. */
  sessionId: string | null;
  plan: Plan;
  /** Operator overrides of the plan's limits, or null. */
  limits: LimitOverrides | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}
