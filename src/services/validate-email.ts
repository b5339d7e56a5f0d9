import { findSenderWithDomain } from '../store/senders-repo.js';
import { readUsage } from '../store/usage-repo.js';
import type { Caller, SendDeps } from './send-emails.js';
import { limitsFor, usagePeriods } from '../core/plans.js';
import { distinctRecipients } from '../core/recipients.js';
import { validateSendBody, type CheckedBody } from '../core/send-validation.js';

/** A problem found by the dry run; `field` is one of account, from, limits, to, content. */
export interface Issue {
  field: 'account' | 'from' | 'limits' | 'to' | 'content';
  error: string;
}

function area(field: string): Issue['field'] {
  if (field.startsWith('from')) return 'from';
  if (/^(to|cc|bcc|reply_to)\b/.test(field)) return 'to';
  return 'content';
}

/**
 * POST /v1/emails/validate: everything send would check — body, sender, plan features and the same
 * quota numbers send enforces — with nothing written and nothing sent.
 */
export async function validateEmail(deps: SendDeps, caller: Caller, input: CheckedBody) {
  const now = Date.now();
  const limits = limitsFor(caller.plan, caller.limits);
  const { day, month } = usagePeriods(now);
  const usage = await readUsage(deps.store.db, caller.accountId, [day, month]);
  const issues: Issue[] = [];
  const checked = validateSendBody(input, now);
  let needed = 0;
  if (!checked.ok) {
    for (const e of checked.errors) issues.push({ field: area(e.field), error: `${e.field} ${e.error}` });
  } else {
    const req = checked.value;
    needed = distinctRecipients(req.to, req.cc, req.bcc).length;
    const found = await findSenderWithDomain(deps.store.db, caller.accountId, req.from.email.toLowerCase());
    if (!found) issues.push({ field: 'from', error: `${req.from.email} is not a registered sender` });
    else if (found.domain.status !== 'verified')
      issues.push({ field: 'from', error: `the domain ${found.domain.name} is not verified` });
    if (req.sendAt !== null && !limits.scheduling)
      issues.push({ field: 'account', error: `scheduled sending is not available on the ${caller.plan} plan` });
  }
  const used = { day: usage[day] ?? 0, month: usage[month] ?? 0 };
  if (used.day + Math.max(needed, 1) > limits.dailyLimit)
    issues.push({ field: 'limits', error: `the daily limit of ${limits.dailyLimit} is reached (${used.day} used)` });
  if (used.month + Math.max(needed, 1) > limits.monthlyLimit)
    issues.push({
      field: 'limits',
      error: `the monthly limit of ${limits.monthlyLimit} is reached (${usage[month]} used)`,
    });
  const valid = issues.length === 0;
  return {
    valid,
    can_send: valid,
    issues,
    plan: caller.plan,
    usage: {
      daily: usage[day],
      daily_limit: limits.dailyLimit,
      monthly: usage[month],
      monthly_limit: limits.monthlyLimit,
    },
  };
}
