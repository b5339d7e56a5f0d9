import { PLANS, type LimitOverrides, type Plan } from '../model.js';

/** What a plan allows. Recipients count against the send limits (an email to three people is three sends). */
export interface PlanLimits {
  /** Sends per UTC day. */
  dailyLimit: number;
  /** Sends per UTC calendar month. */
  monthlyLimit: number;
  /** Largest batch for POST /v1/emails/batch; null when the plan has no batch sending. */
  batchMax: number | null;
  /** Whether `send_at` (scheduled sending) is available. */
  scheduling: boolean;
  /** API requests per second per key. */
  requestsPerSecond: number;
}

/** The plans, in one table. An operator can override any number per account. */
export const PLAN_LIMITS: Readonly<Record<Plan, PlanLimits>> = {
  free: { dailyLimit: 100, monthlyLimit: 3_000, batchMax: null, scheduling: false, requestsPerSecond: 10 },
  starter: { dailyLimit: 200, monthlyLimit: 5_000, batchMax: 25, scheduling: true, requestsPerSecond: 20 },
  pro: { dailyLimit: 5_000, monthlyLimit: 100_000, batchMax: 50, scheduling: true, requestsPerSecond: 100 },
  business: {
    dailyLimit: 200_000,
    monthlyLimit: 5_000_000,
    batchMax: 100,
    scheduling: true,
    requestsPerSecond: 10_000,
  },
};

/** Whether `name` is one of the plans. */
export function isPlan(name: string): name is Plan {
  return (PLANS as readonly string[]).includes(name);
}

/** The effective limits of an account: its plan's, with the operator's overrides on top. */
export function limitsFor(plan: string, overrides: LimitOverrides | null): PlanLimits {
  const base = PLAN_LIMITS[isPlan(plan) ? plan : 'free'];
  const o = overrides ?? {};
  return {
    ...base,
    dailyLimit: o.daily_limit ?? base.dailyLimit,
    monthlyLimit: o.monthly_limit ?? base.monthlyLimit,
    batchMax: o.batch_max ?? base.batchMax,
    requestsPerSecond: o.requests_per_second ?? base.requestsPerSecond,
  };
}

/** The quota periods a send at `nowMs` counts in: its UTC day and its UTC month. */
export function usagePeriods(nowMs: number): { day: string; month: string } {
  const iso = new Date(nowMs).toISOString();
  return { day: `d:${iso.slice(0, 10)}`, month: `m:${iso.slice(0, 7)}` };
}

/** Whole seconds from `nowMs` until the quota period of `limit` starts again: the next UTC day or month (≥ 1). */
export function secondsUntilQuotaReset(limit: 'daily' | 'monthly', nowMs: number): number {
  const d = new Date(nowMs);
  const next =
    limit === 'daily'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - nowMs) / 1000));
}
