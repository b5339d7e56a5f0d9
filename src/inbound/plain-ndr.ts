/** A recipient a plain-text bounce names, with the lines that say what happened to it. */
export interface NdrMention {
  recipient: string;
  /** From the line that names the recipient to the line before the next recipient. */
  text: string;
}

/** Characters of a bounce's human-readable text that are read: the explanation comes first. */
const MAX_NDR_CHARS = 64 * 1024;
/** Characters of text kept per recipient. */
const MAX_MENTION_CHARS = 4_000;

// Where the quoted original message starts, in the words of qmail, Exim, Sendmail, Postfix, Exchange,
// Lotus Notes, IMail and others; or its first header line. Nothing below it describes the failure.
const ORIGINAL_STARTS =
  /^[\s*=-]*(?:below this line is a copy of the message|this is a copy of (?:the|your) message|original message follows|unsent message follows|returned message|original message ?-|original message headers|message headers follow|headers of the original message|the header of the original message|the original message headers)|^(?:received|return-path|dkim-signature|message-id): ?\S/im;

const ADDRESS = /[A-Za-z0-9][A-Za-z0-9._%+!#$'*?^`{|}~-]{0,63}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,24}/g;

// Lines that quote the original's header fields ("To: …" in an Exchange report) name its sender or
// recipients, not a failure.
const QUOTED_FIELD =
  /^\s*(?:to|from|cc|subject|sent|date|reply-to|sender|return-path|message-id|in-reply-to|references)\s*:/i;
// Where an alias or forward came from ("(generated from …)", "(expanded from: …)"): not another recipient.
const ALIAS_SOURCE = /^\s*\(?\s*(?:generated|expanded)\s+(?:from|by)\b/i;

/**
 * Finds the recipients a plain-text bounce (no delivery-status part) reports, in the order it names
 * them, skipping `exclude` (the bounce's own sender and addressee, which are never the failed
 * recipient) and MAILER-DAEMON, each with the text that explains its failure.
 */
export function findNdrMentions(text: string, exclude: ReadonlySet<string>, max: number): NdrMention[] {
  const head = text.slice(0, MAX_NDR_CHARS);
  const cut = ORIGINAL_STARTS.exec(head);
  const lines = (cut ? head.slice(0, cut.index) : head).split(/\r?\n/);
  // The addresses each line names, and the recipients in the order they first appear.
  const named = lines.map((line) =>
    QUOTED_FIELD.test(line) || ALIAS_SOURCE.test(line)
      ? []
      : [...line.matchAll(ADDRESS)]
          .map((m) => m[0].replace(/\.+$/, '').toLowerCase())
          .filter((a) => !exclude.has(a) && !/^mailer-daemon@/.test(a)),
  );
  const order = [...new Set(named.flat())].slice(0, max);
  // A recipient's text: every run of lines from a line naming it to the next line naming someone else
  // (Exim lists the addresses first and explains each further down).
  const runs = new Map<string, string[]>(order.map((r) => [r, []]));
  named.forEach((addresses, i) => {
    for (const r of new Set(addresses)) {
      const run = runs.get(r);
      if (!run || run.join('\n').length > MAX_MENTION_CHARS) continue;
      let end = i + 1;
      while (end < lines.length && (named[end] ?? []).every((a) => a === r)) end++;
      run.push(lines.slice(i, end).join('\n'));
    }
  });
  return order.map((r) => ({ recipient: r, text: (runs.get(r) ?? []).join('\n').slice(0, MAX_MENTION_CHARS) }));
}

/** The whole explanation of a plain-text bounce (before the quoted original), for when a mention says nothing. */
export function ndrExplanation(text: string): string {
  const head = text.slice(0, MAX_NDR_CHARS);
  const cut = ORIGINAL_STARTS.exec(head);
  return cut ? head.slice(0, cut.index) : head;
}
