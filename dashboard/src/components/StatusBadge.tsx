/** The look of each status: good, in progress, bad or neutral. */
const TONES: Record<string, string> = {
  delivered: 'good',
  sent: 'info',
  queued: 'info',
  scheduled: 'info',
  deferred: 'warn',
  bounced: 'bad',
  rejected: 'bad',
  failed: 'bad',
  cancelled: 'neutral',
};

/** A status as a coloured label (the word itself carries the meaning; the colour only helps). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${TONES[status] ?? 'neutral'}`}>{status}</span>;
}
