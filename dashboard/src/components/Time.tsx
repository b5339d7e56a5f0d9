/** The viewer's local date and time of an ISO 8601 instant; hovering shows it in UTC. */
export function Time({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <span>{iso}</span>;
  const local = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  const utc = `${d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`;
  return (
    <time dateTime={d.toISOString()} title={utc}>
      {local}
    </time>
  );
}
