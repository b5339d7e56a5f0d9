import type { BounceReason } from '../model.js';

/**
 * The bounce rules: mail knowledge as data, read by core/classify-bounce.ts for the replies of our own
 * delivery attempts and for the bounce messages that arrive later. Change a rule here, add a row to
 * test/core/bounce-classification.test.ts, and run the corpus test (test/inbound/bounce-corpus.test.ts).
 */

/** A phrase seen in real replies and bounce messages, and the reason it means. */
export interface TextRule {
  /** Matched against the reply or diagnostic text (case-insensitive; the text is on one line). */
  pattern: RegExp;
  reason: BounceReason;
  /** A generic phrase: used only when the status code names no reason of its own. */
  weak?: boolean;
  /** Words only a mailbox directory uses: an unknown user even without a 5.1.x code or the RCPT step. */
  authoritative?: boolean;
  /**
   * The detail of the status code to report when the text carries no enhanced status code (X.0.DDD):
   * the 9xx private range of the open classifiers, finer than the reason (a relay refusal and a
   * sender refusal are both `policy`). Defaults to the reason's own (DERIVED_DETAIL).
   */
  detail?: string;
}

/**
 * Only these say the address itself is permanently bad, which is what justifies a hard bounce and a
 * suppression. A reputation block, a content or authentication failure or a full mailbox is the
 * sender's or the moment's problem, not the address's. A disabled mailbox is not here: providers
 * disable accounts for a while (Gmail's "account ... is disabled", suspended or inactive accounts) and
 * enable them again, and a suppression would outlive that; it bounces soft, like the reference
 * classifiers do.
 */
export const HARD_REASONS: ReadonlySet<BounceReason> = new Set<BounceReason>([
  'user_unknown',
  'host_unknown',
  'has_moved',
  'not_accepting_mail',
]);

/** The detail of a derived status code per reason (see TextRule.detail). */
export const DERIVED_DETAIL: Readonly<Record<BounceReason, string>> = {
  user_unknown: '911',
  host_unknown: '912',
  mailbox_full: '922',
  mailbox_disabled: '921',
  has_moved: '916',
  expired: '947',
  blocked: '971',
  spam_detected: '980',
  content_rejected: '960',
  policy: '910',
  auth_failure: '926',
  rate_limited: '945',
  message_too_big: '934',
  network: '944',
  system: '930',
  not_accepting_mail: '932',
  other: '900',
};

/**
 * Phrases, first match wins, so the more specific come first. The text decides before the status code
 * because many servers send a generic or misleading code (5.0.0, or 550 5.7.1 for an unknown user).
 * Sources: the replies of Postfix, Sendmail, Exim, qmail, Exchange and Office 365, Gmail, Yahoo,
 * Outlook.com, Amazon SES and others as found in real bounces, and RFC 3463 / RFC 7505 wording.
 */
export const TEXT_RULES: readonly TextRule[] = [
  // Full mailboxes. Before the "user unknown" phrases ("mailbox unavailable (over quota)" is full, not
  // gone) and before the give-up ones ("mailbox is full: retry timeout exceeded" says why it gave up).
  {
    pattern:
      /mail ?box (?:is )?full|full mailbox|(?:over|exceed(?:ed|s)?|exceeding) (?:the |his |her |their |its |your )?(?:disk |storage |mailbox |user )?quota|quota (?:exceeded|full|violation|limit)|mailbox size limit|insufficient (?:disk |system |mailbox )?(?:space|storage)|out of storage|storage (?:allocation|space) exceeded|exceeded storage|mailbox (?:has )?exceeded|mailbox exceeds|too much mail|not enough (?:space|storage)|user is over|mailfolder is full|has exceeded (?:its|the) (?:limit|size)/i,
    reason: 'mailbox_full',
  },
  // Our own messages: the delivery give-up, and MTAs reporting that they gave up after days of retries.
  {
    pattern:
      /retry time(?:out)? (?:not reached|exceeded)|delivery time expired|message expired|has been in the queue too long|could not be delivered within|(?:was|were|has) not been delivered (?:within|for)|unable to deliver (?:this|the|your) message (?:for|within)|delivery (?:period|attempts?) (?:has |have )?expired|maximum time|too old|no further attempts|exceeded the (?:maximum )?(?:retry|queue)|time-?out (?:in|during|while) delivery|message has been delayed .* giving up|delivery expired|envelope expired|did not accept our requests to connect|delivery (?:to .{0,80})?has been delayed|message (?:is|has been) delayed|delivery failed \d+ attempts|could not deliver for the last|timed? ?out in delivery|the message .* timed out|tried to deliver .* for \d+ (?:hours|days)/i,
    reason: 'expired',
  },
  // Gone for good: RFC 3463 5.1.6 wording and the providers' own.
  {
    pattern:
      /(?:mailbox|address|user) has moved|has moved;? no forwarding|no longer (?:in use|valid|available) at this|destination mailbox has moved/i,
    reason: 'has_moved',
  },
  // Disabled, suspended or closed accounts (Gmail's "account ... is disabled", Yahoo, Japanese carriers).
  {
    pattern:
      /(?:account|mailbox|address|user|recipient) (?:has been |is |was )?(?:temporarily )?(?:disabled|deactivated|suspended|inactive|frozen|locked|discontinued|closed|terminated)|disabled recipient|(?:account|mailbox) (?:is )?not active|inactive (?:account|mailbox|user)|account that you tried to reach is disabled|user (?:account )?suspended|mailbox (?:is )?disabled|disabled or discontinued/i,
    reason: 'mailbox_disabled',
  },
  // Refusals of our sender address or of posting to a group: before the "does not exist" phrases,
  // which they contain ("domain of sender address does not exist").
  {
    pattern:
      /sender (?:address )?(?:rejected|refused|denied|invalid|not|verify failed|domain)|domain of sender|sender verification|envelope sender|mail from .* (?:rejected|refused)|return path|bad sender|you are not allowed to post|google groups|groups\.google|the group you tried to contact|グループ/i,
    reason: 'policy',
    detail: '918',
  },
  // A domain that declares it takes no mail (null MX, RFC 7505) or a host that refuses all mail.
  {
    pattern:
      /null mx|indicated no smtp service|does not accept (?:e-?)?mail|accepts? no (?:e-?)?mail|not accepting (?:any )?(?:e-?)?mail|system not accepting network messages|recipient address has null mx/i,
    reason: 'not_accepting_mail',
  },
  // The domain does not resolve or has nowhere to deliver.
  {
    pattern:
      /host (?:or domain name )?(?:unknown|not found)|host \S+ not found|(?:account|domain) may not exist|the domain \S+ does not exist|has no mx and no address|unknown host|(?:domain|host) (?:name )?(?:not found|does not exist|doesn't exist|unknown)|no such (?:domain|host)|unknown domain|unrouteable (?:mail )?domain|name or service not known|name server (?:error|failure).*not found|all relevant mx records point to non-existent hosts|couldn't find any host named|couldn't find a mail exchanger|no mx found|no mx (?:record|host)|mx (?:record )?(?:lookup failed|not found)|nxdomain|domain (?:is )?(?:invalid|not valid)|invalid domain|bad destination system address|host name lookup failure|domain name not found|recipient domain .* (?:does not exist|not found)/i,
    reason: 'host_unknown',
  },
  // Unknown users in the words of mailbox directories (Exchange, IMail, Office 365, Sendmail's "No such user").
  {
    pattern:
      /recipient name is not recognized|invalid final delivery userid|user not exist\b|doesn't have a yahoo\.com account|recipnotfound|recipientnotfound|\bno such user\b|mailbox name not allowed/i,
    reason: 'user_unknown',
    authoritative: true,
  },
  // Unknown users: the many ways servers say the mailbox does not exist.
  {
    pattern:
      /user (?:name )?(?:is )?unknown|unknown (?:user|recipient|local[- ]?part|address|mailbox|alias)|no such (?:user|mailbox|recipient|address|account|local user|person)|(?:user|recipient|mailbox|address|account|addressee) (?:name )?(?:is )?(?:not found|not known|not exist|not valid|invalid|unavailable|doesn't exist|does not exist|did not exist|not recognized|not listed)|(?:mailbox|account|address|user|recipient) (?:does not|doesn't|did not) exist|does not exist|doesn't exist|invalid (?:mailbox|recipient|address|user|account)|not a valid (?:mailbox|recipient|user|address)|is not a known user|recipient address rejected: access denied|recipient (?:name )?is not recognized|mailbox (?:is )?unavailable|mailbox not found|(?:doesn't|does not) have an? .{0,60}account|no mailbox here by that name|user not local|bad destination mailbox|undeliverable address|address (?:unknown|not found)|unknown or illegal alias|not our customer|no account by that name|no such account|addressee unknown|user doesn't exist|the email account that you tried to reach does not exist|unrouteable address|user not found/i,
    reason: 'user_unknown',
  },
  // Authentication of the sending domain (SPF, DKIM, DMARC, ARC): fixable by the sender.
  {
    pattern:
      /\bspf\b|\bdkim\b|\bdmarc\b|sender policy framework|fails? to pass authentication|authentication (?:checks? )?(?:failed|failure)|not authenticate|unauthenticated (?:email|mail|message)|does not have authentication information|\barc\b validation/i,
    reason: 'auth_failure',
  },
  // A sending host without reverse DNS: blocked for who we are, not for the address.
  {
    pattern:
      /reverse (?:dns|lookup|hostname)|\bptr\b|\brdns\b|ip name lookup failed|cannot find your hostname|can't resolve your (?:host|address)|unresolvable (?:host|address)|client host .* (?:not|no) (?:resolve|hostname)|no reverse/i,
    reason: 'blocked',
    detail: '973',
  },
  // Addresses the server could not even parse: our request was wrong, the address may be fine.
  {
    pattern: /malformed address|incorrectly constructed|syntax error in (?:parameters|address)|syntactically invalid/i,
    reason: 'other',
    detail: '902',
  },
  // Local delivery programs that failed (a pipe in an alias or .forward): the recipient's system.
  {
    pattern: /pipe to \||mailer error|local delivery failed|command (?:failed|died)/i,
    reason: 'system',
    detail: '939',
  },
  // Viruses and malware, then spam verdicts.
  { pattern: /virus|malware|infected|trojan|worm detected/i, reason: 'content_rejected', detail: '981' },
  {
    pattern:
      /\bspam\b|spamming|junk mail|unsolicited|bulk mail|message (?:was |is )?(?:classified|considered|identified) as|looks like spam|suspicious|content (?:filter|rejected)|rejected by content|message filtered|spam content|high probability of being spam|blacklisted (?:url|link)|uribl|surbl/i,
    reason: 'spam_detected',
  },
  // Refusals to relay: policy (ours to fix), before "access denied" reads as a block.
  {
    pattern:
      /relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)|we do not relay|unable to relay|not permitted to relay|relay not|no relaying/i,
    reason: 'policy',
    detail: '909',
  },
  // Our IP or domain refused for reputation: block lists, poor reputation, blanket refusals of the client.
  {
    pattern:
      /block ?list|black ?list|blocked|spamhaus|spamcop|barracuda|sorbs|dnsbl|\brbl\b|uceprotect|abuseat|\bcbl\b|reputation|listed (?:on|in|at|by)|banned|client host .* rejected|access denied|refused to talk|too many (?:bad|invalid|unknown) recipients|service unavailable;? client host|your ip|your host .* (?:refused|rejected)|not allowed to send|invalid ip for sending|poor sending|sender ip|connection (?:refused|rejected) .* (?:policy|reputation)/i,
    reason: 'blocked',
  },
  // Too many connections, messages or recipients for now.
  {
    pattern:
      /too many (?:connections|concurrent|messages|recipients|sessions|mails)|rate limit|rate-limit|ratelimit|throttl|exceeded .* (?:rate|connection)|sending limit|slow down|try again later|too fast|frequency limit|receiving limit/i,
    reason: 'rate_limited',
  },
  // Sizes.
  {
    pattern:
      /message (?:is )?too (?:big|large)|message size (?:exceeds|limit|too)|exceeds (?:the )?(?:maximum |max )?(?:message |allowed )?size|size limit|message length exceeds|too large for/i,
    reason: 'message_too_big',
  },
  // Broken or unwelcome content: headers, MIME, RFC 5322 compliance.
  {
    pattern:
      /rfc ?(?:5322|2822|822|5321|2045)|not (?:rfc[- ]?)?compliant|header (?:error|too long|missing|field)|duplicate header|invalid (?:message|header|mime)|mime (?:error|structure)|malformed|content (?:error|not allowed)|attachment|8-?bit|line too long|bare lf|message content/i,
    reason: 'content_rejected',
  },
  // The remote network or routing.
  {
    pattern:
      /connection (?:timed out|timeout|reset|refused|lost|closed|dropped)|network (?:is )?unreachable|no route to host|routing loop|mail loop|loop detected|too many hops|hop count exceeded|could not connect|lost connection|unable to connect|connect to .* failed|timed out while/i,
    reason: 'network',
  },
  // Postfix and others prefix any refusal with "Recipient address rejected:": only when nothing more precise
  // was said does it mean the address is unknown.
  { pattern: /recipient address rejected|recipient (?:was )?rejected/i, reason: 'user_unknown', weak: true },
  // Policy refusals that are none of the above.
  {
    pattern: /policy|not authori[sz]ed|prohibited|not permitted|refused|rejected|denied|filtered|restricted/i,
    reason: 'policy',
    weak: true,
  },
  // The remote system's own trouble.
  {
    pattern:
      /system (?:error|failure|busy|full|overload)|duplicated message-id|internal (?:server )?error|server error|local configuration|configuration error|mailer error|i\/o error|out of memory|disk full|temporary (?:local )?(?:failure|problem|error)|service (?:not available|unavailable)|unable to deliver|command (?:failed|died)|syntax error|protocol error/i,
    reason: 'system',
    weak: true,
  },
];

/**
 * Enhanced status codes (RFC 3463, IANA registry), by subject.detail; the class (4 or 5) only says
 * whether it may pass. Used when no phrase matched.
 */
export const STATUS_REASONS: Readonly<Record<string, BounceReason>> = {
  '1.1': 'user_unknown', // bad destination mailbox address
  '1.2': 'host_unknown', // bad destination system address
  '1.3': 'user_unknown', // bad destination mailbox address syntax
  '1.4': 'policy', // ambiguous address
  '1.6': 'has_moved', // mailbox has moved, no forwarding address
  '1.7': 'policy', // bad sender's mailbox address syntax: ours to fix
  '1.8': 'policy', // bad sender's system address
  '1.10': 'user_unknown', // recipient address has null MX (RFC 7505); Office 365 says it for unknown users too
  '2.1': 'mailbox_disabled', // mailbox disabled, not accepting messages
  '2.2': 'mailbox_full',
  '2.3': 'message_too_big', // per-mailbox message length limit
  '2.4': 'system', // mailing list expansion problem
  '3.0': 'system',
  '3.1': 'system', // mail system full
  '3.2': 'not_accepting_mail', // system not accepting network messages
  '3.3': 'system',
  '3.4': 'message_too_big',
  '3.5': 'system',
  '4.0': 'network',
  '4.1': 'network', // no answer from host
  '4.2': 'network', // bad connection
  '4.3': 'system', // directory server failure
  '4.4': 'network', // unable to route
  '4.5': 'rate_limited', // mail system congestion
  '4.6': 'network', // routing loop
  '4.7': 'expired', // delivery time expired
  '5.0': 'system',
  '5.1': 'system',
  '5.2': 'system',
  '5.3': 'rate_limited', // too many recipients
  '5.4': 'system',
  '5.5': 'system',
  '6.0': 'content_rejected',
  '6.1': 'content_rejected',
  '6.2': 'content_rejected',
  '6.3': 'content_rejected',
  '6.5': 'content_rejected',
  '7.0': 'policy',
  '7.1': 'policy', // delivery not authorized, message refused: a block or a filter, never the address
  '7.2': 'policy',
  '7.7': 'content_rejected', // message integrity failure
  '7.13': 'mailbox_disabled', // user account disabled
  '7.16': 'message_too_big',
  '7.17': 'has_moved', // mailbox owner has changed
  '7.18': 'has_moved', // domain owner has changed
  '7.20': 'auth_failure', // no passing DKIM signature
  '7.21': 'auth_failure',
  '7.22': 'auth_failure',
  '7.23': 'auth_failure', // SPF validation failed
  '7.24': 'auth_failure',
  '7.25': 'blocked', // reverse DNS validation failed
  '7.26': 'auth_failure', // multiple authentication checks failed
  '7.27': 'policy', // the sender's domain has a null MX: ours to fix
  '7.28': 'spam_detected', // mail flood
  '7.29': 'auth_failure', // ARC validation
};
