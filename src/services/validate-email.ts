import { findSenderWithDomain } from '../store/senders-repo.js';
import { readUsage } from '../store/usage-repo.js';
import type { Caller, SendDeps } from './send-emails.js';
import { limitsFor, usagePeriods } from '../core/plans.js';
import { distinctRecipients } from '../core/recipients.js';
import { validateSendBody, type CheckedBody, type SendRequest } from '../core/send-validation.js';
import { sendingDomain } from '../core/suppression-address.js';
import { suppressionSentence } from '../core/suppression-rules.js';
import { suppressionsOf } from './suppression-check.js';

/** A recipient by its place in the body: `to[1]`, `cc[0]`. */
type RecipientField = `${'to' | 'cc' | 'bcc'}[${number}]`;

/**
 * A problem found by the dry run; `field` is one of account, from, limits, to, content, or a
 * recipient's place (`to[1]`) when that recipient is on a suppression list.
 */
export interface Issue {
  field: 'account' | 'from' | 'limits' | 'to' | 'content' | RecipientField;
  error: string;
}

/** The body's recipients on a suppression list, by place, in one look-up; and how many distinct ones are not. */
async function suppressedRecipients(
  deps: SendDeps,
  accountId: string,
  req: SendRequest,
): Promise<{ issues: Issue[]; sendable: number }> {
  const listed = (['to', 'cc', 'bcc'] as const).flatMap((kind) =>
    req[kind].map((a, i) => ({ field: `${kind}[${i}]` satisfies RecipientField, address: a.email })),
  );
  const scope = { accountId, domain: sendingDomain(req.from.email), tags: req.tags };
  const stops = await suppressionsOf(
    deps.store.db,
    listed.map((l) => ({ ...scope, address: l.address })),
  );
  const issues: Issue[] = [];
  const stopped = new Set<string>();
  listed.forEach((l, i) => {
    const stop = stops[i];
    if (!stop) return;
    stopped.add(l.address);
    issues.push({ field: l.field, error: `${suppressionSentence(l.address, stop)} It would not be sent to.` });
  });
  const sendable = distinctRecipients(req.to, req.cc, req.bcc).filter((r) => !stopped.has(r.address.email)).length;
  return { issues, sendable };
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
  /** Recipients on a suppression list: reported, but they do not stop the others from being sent to. */
  let suppressed: Issue[] = [];
  if (!checked.ok) {
    for (const e of checked.errors) issues.push({ field: area(e.field), error: `${e.field} ${e.error}` });
  } else {
    const req = checked.value;
    const onLists = await suppressedRecipients(deps, caller.accountId, req);
    suppressed = onLists.issues;
    needed = onLists.sendable;
    const found = await findSenderWithDomain(deps.store.db, caller.accountId, req.from.email.toLowerCase());
    if (!found) issues.push({ field: 'from', error: `${req.from.email} is not a registered sender` });
    else if (found.domain.status !== 'verified')
      issues.push({ field: 'from', error: `the domain ${found.domain.name} is not verified` });
    if (req.sendAt !== null && !limits.scheduling)
      issues.push({ field: 'account', error: `scheduled sending is not available on the ${caller.plan} plan` });
    if (suppressed.length > 0 && needed === 0)
      issues.push({ field: 'to', error: 'every recipient is on a suppression list: nothing would be sent' });
  }
  const used = { day: usage[day] ?? 0, month: usage[month] ?? 0 };
  if (used.day + Math.max(needed, 1) > limits.dailyLimit)
    issues.push({ field: 'limits', error: `the daily limit of ${limits.dailyLimit} is reached (${used.day} used)` });
  if (used.month + Math.max(needed, 1) > limits.monthlyLimit)
    issues.push({
      field: 'limits',
      error: `the monthly limit of ${limits.monthlyLimit} is reached (${usage[month]} used)`,
    });
  return {
    valid: issues.length === 0 && suppressed.length === 0,
    can_send: issues.length === 0,
    issues: [...issues, ...suppressed],
    plan: caller.plan,
    usage: {
      daily: usage[day],
      daily_limit: limits.dailyLimit,
      monthly: usage[month],
      monthly_limit: limits.monthlyLimit,
    },
  };
}
