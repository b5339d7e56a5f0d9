import { useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { LoadState, useApi, When } from '../widgets/common';
import { TimeChart, type Series } from '../widgets/TimeChart';
import './settings.css';

interface Counts {
  accepted: number;
  sent: number;
  delivered: number;
  deferred: number;
  bounced: number;
  bounced_hard: number;
  bounced_soft: number;
  rejected: number;
  failed: number;
  cancelled: number;
  opened: number;
  opened_unique: number;
  opened_machine: number;
  clicked: number;
  clicked_unique: number;
  clicked_machine: number;
  unsubscribed: number;
  complained: number;
  rates: { delivered: number; opened: number; clicked: number; bounced: number; complained: number };
}

interface Stats {
  since: string;
  until: string;
  resolution: string;
  buckets: Array<Counts & { start: string }>;
  totals: Counts;
}

type Resolution = 'hour' | 'day' | 'month';

const TOTALS: ReadonlyArray<[keyof Counts, string]> = [
  ['accepted', 'Accepted'],
  ['delivered', 'Delivered'],
  ['bounced', 'Bounced'],
  ['rejected', 'Rejected (suppressed)'],
  ['opened_unique', 'Opened (people, unique)'],
  ['opened_machine', 'Opened by machines'],
  ['clicked_unique', 'Clicked (people, unique)'],
  ['clicked_machine', 'Clicked by machines'],
  ['complained', 'Complaints'],
  ['unsubscribed', 'Unsubscribes'],
];

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
/** Unsubscribes per delivered copy (the API has no rate for it; 0 when nothing was delivered). */
const unsubRate = (c: Counts) => (c.delivered ? c.unsubscribed / c.delivered : 0);

/** A date input's value (the viewer's day) as the start of that day, in ISO with its zone. */
const dayStart = (date: string) => new Date(`${date}T00:00:00`).toISOString();
const toDateInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

export function Analytics() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const query = new URLSearchParams(search);
  const since = query.get('since');
  const until = query.get('until');
  const resolution = (query.get('resolution') ?? 'day') as Resolution;
  const range = new URLSearchParams();
  if (since) range.set('since', since);
  if (until) range.set('until', until);
  // The charts can show one tag's or one domain's mail (?tag= or ?domain=); the tables always show them all.
  const only = query.get('tag')
    ? ['tag', query.get('tag')!]
    : query.get('domain')
      ? ['domain', query.get('domain')!]
      : null;
  const statsQuery = new URLSearchParams(range);
  statsQuery.set('resolution', resolution);
  if (only) statsQuery.set(only[0]!, only[1]!);
  const stats = useApi<Stats>(`/v1/stats?${statsQuery}`);
  const tags = useApi<{ tags: Array<Counts & { tag: string }> }>(`/v1/stats/tags?${range}`);
  const domains = useApi<{ domains: Array<Counts & { domain: string }> }>(`/v1/stats/domains?${range}`);

  /** The page's URL with some of its parameters changed (null removes one). */
  const href = (next: Partial<Record<'since' | 'until' | 'resolution' | 'tag' | 'domain', string | null>>) => {
    const p = new URLSearchParams(search);
    if (!p.has('resolution')) p.set('resolution', resolution);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    return `/analytics?${p}`;
  };
  const go = (next: { since?: string | null; until?: string | null; resolution?: Resolution }) => navigate(href(next));

  return (
    <section>
      <h1>Analytics</h1>
      <RangeForm
        key={search}
        since={since}
        until={until}
        resolution={resolution}
        onPreset={(days, res) =>
          go({ since: new Date(Date.now() - days * 86_400_000).toISOString(), until: null, resolution: res })
        }
        onApply={go}
      />
      {only && (
        <p className="card" role="status">
          Showing only the mail {only[0] === 'tag' ? 'tagged' : 'sent from'} <strong>{only[1]}</strong>.{' '}
          <Link href={href({ tag: null, domain: null })}>Show all mail</Link>
        </p>
      )}
      {stats.data === undefined ? <LoadState loaded={stats} what="the stats" /> : <StatsView stats={stats.data} />}
      <Breakdown
        title="Per tag"
        what="Tag"
        rows={tags.data?.tags.map((t) => ({ ...t, key: t.tag }))}
        link={(tag) => href({ tag, domain: null })}
        loaded={tags}
        empty="No tagged email in this range. Add tags to your send requests to compare your kinds of mail."
      />
      <Breakdown
        title="Per sending domain"
        what="Domain"
        rows={domains.data?.domains.map((d) => ({ ...d, key: d.domain }))}
        link={(domain) => href({ domain, tag: null })}
        loaded={domains}
        empty="No email sent in this range."
      />
    </section>
  );
}

function RangeForm(props: {
  since: string | null;
  until: string | null;
  resolution: Resolution;
  onPreset: (days: number, resolution: Resolution) => void;
  onApply: (next: { since: string | null; until: string | null; resolution: Resolution }) => void;
}) {
  const [since, setSince] = useState(toDateInput(props.since));
  const [until, setUntil] = useState(toDateInput(props.until));
  const [resolution, setResolution] = useState<Resolution>(props.resolution);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    props.onApply({
      since: since ? dayStart(since) : null,
      // The until date's whole day is in the range.
      until: until ? new Date(new Date(`${until}T00:00:00`).getTime() + 86_400_000).toISOString() : null,
      resolution,
    });
  };
  return (
    <form className="card" onSubmit={apply} aria-label="Range">
      <div className="form-row">
        <label>
          From (your time zone)
          <input type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <label>
          To, included
          <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
        <label>
          Resolution
          <select value={resolution} onChange={(e) => setResolution(e.target.value as Resolution)}>
            <option value="hour">hour</option>
            <option value="day">day</option>
            <option value="month">month</option>
          </select>
        </label>
        <button type="submit" className="primary">
          Show
        </button>
      </div>
      <div className="tabs" role="group" aria-label="Quick ranges">
        <button type="button" onClick={() => props.onPreset(1, 'hour')}>
          Last 24 hours
        </button>
        <button type="button" onClick={() => props.onPreset(7, 'day')}>
          Last 7 days
        </button>
        <button type="button" onClick={() => props.onPreset(30, 'day')}>
          Last 30 days
        </button>
        <button type="button" onClick={() => props.onPreset(365, 'month')}>
          Last 12 months
        </button>
      </div>
    </form>
  );
}

function StatsView({ stats }: { stats: Stats }) {
  const { times, volume, engagement, rates } = useMemo(() => {
    const b = stats.buckets;
    const col = (f: (c: Counts) => number) => b.map(f);
    const volume: Series[] = [
      { label: 'Accepted', color: '#2453d4', values: col((c) => c.accepted) },
      { label: 'Delivered', color: '#067647', values: col((c) => c.delivered) },
      { label: 'Bounced', color: '#b42318', values: col((c) => c.bounced) },
      { label: 'Complaints', color: '#9e1f63', values: col((c) => c.complained) },
      { label: 'Unsubscribes', color: '#b54708', values: col((c) => c.unsubscribed) },
    ];
    const engagement: Series[] = [
      { label: 'Opens (people)', color: '#2453d4', values: col((c) => c.opened) },
      { label: 'Opens (machines)', color: '#2453d4', values: col((c) => c.opened_machine), dash: true },
      { label: 'Clicks (people)', color: '#067647', values: col((c) => c.clicked) },
      { label: 'Clicks (machines)', color: '#067647', values: col((c) => c.clicked_machine), dash: true },
    ];
    const rates: Series[] = [
      { label: 'Delivered', color: '#067647', values: col((c) => c.rates.delivered) },
      { label: 'Opened', color: '#2453d4', values: col((c) => c.rates.opened) },
      { label: 'Clicked', color: '#6941c6', values: col((c) => c.rates.clicked) },
      { label: 'Bounced', color: '#b42318', values: col((c) => c.rates.bounced) },
      { label: 'Complained', color: '#9e1f63', values: col((c) => c.rates.complained) },
      { label: 'Unsubscribed', color: '#b54708', values: col(unsubRate) },
    ];
    return { times: b.map((x) => Date.parse(x.start) / 1000), volume, engagement, rates };
  }, [stats]);
  const t = stats.totals;
  return (
    <>
      <p>
        From <When iso={stats.since} /> to <When iso={stats.until} />, per {stats.resolution} (buckets are UTC{' '}
        {stats.resolution}s).
      </p>
      {t.accepted === 0 && t.delivered === 0 && (
        <p className="empty">No email in this range yet. Verify a domain and send through the API to see it here.</p>
      )}
      <dl className="totals" aria-label="Totals over the range">
        {TOTALS.map(([k, label]) => (
          <div key={k}>
            <dt>{label}</dt>
            <dd data-count={k}>{(t[k] as number).toLocaleString()}</dd>
          </div>
        ))}
        <div>
          <dt>Delivery rate</dt>
          <dd data-rate="delivered">{pct(t.rates.delivered)}</dd>
        </div>
        <div>
          <dt>Open rate</dt>
          <dd data-rate="opened">{pct(t.rates.opened)}</dd>
        </div>
        <div>
          <dt>Click rate</dt>
          <dd data-rate="clicked">{pct(t.rates.clicked)}</dd>
        </div>
        <div>
          <dt>Bounce rate</dt>
          <dd data-rate="bounced">{pct(t.rates.bounced)}</dd>
        </div>
        <div>
          <dt>Complaint rate</dt>
          <dd data-rate="complained">{pct(t.rates.complained)}</dd>
        </div>
        <div>
          <dt>Unsubscribe rate</dt>
          <dd data-rate="unsubscribed">{pct(unsubRate(t))}</dd>
        </div>
      </dl>
      <TimeChart title="Volume" times={times} series={volume} />
      <TimeChart title="Opens and clicks: people and machines" times={times} series={engagement} />
      <TimeChart title="Rates" times={times} series={rates} percent />
      <details className="card">
        <summary>The charts&apos; numbers as a table</summary>
        <div className="table-wrap">
          <table aria-label="Per bucket">
            <thead>
              <tr>
                <th>{stats.resolution} starting</th>
                <th>Accepted</th>
                <th>Delivered</th>
                <th>Bounced</th>
                <th>Opens (people)</th>
                <th>Opens (machines)</th>
                <th>Clicks (people)</th>
                <th>Clicks (machines)</th>
                <th>Complaints</th>
                <th>Unsubscribes</th>
              </tr>
            </thead>
            <tbody>
              {stats.buckets.map((b) => (
                <tr key={b.start}>
                  <td>
                    <When iso={b.start} />
                  </td>
                  <td>{b.accepted}</td>
                  <td>{b.delivered}</td>
                  <td>{b.bounced}</td>
                  <td>{b.opened}</td>
                  <td>{b.opened_machine}</td>
                  <td>{b.clicked}</td>
                  <td>{b.clicked_machine}</td>
                  <td>{b.complained}</td>
                  <td>{b.unsubscribed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function Breakdown(props: {
  title: string;
  what: string;
  rows: Array<Counts & { key: string }> | undefined;
  loaded: Parameters<typeof LoadState>[0]['loaded'];
  empty: string;
  /** Where a row's name leads: the charts of that tag or domain alone. */
  link: (key: string) => string;
}) {
  return (
    <div className="card">
      <h2>{props.title}</h2>
      {props.rows === undefined ? (
        <LoadState loaded={props.loaded} what={`the stats ${props.title.toLowerCase()}`} />
      ) : props.rows.length === 0 ? (
        <p className="empty">{props.empty}</p>
      ) : (
        <div className="table-wrap">
          <table aria-label={props.title}>
            <thead>
              <tr>
                <th>{props.what}</th>
                <th>Accepted</th>
                <th>Delivered</th>
                <th>Bounced</th>
                <th>Opens (people / machines)</th>
                <th>Clicks (people / machines)</th>
                <th>Complaints</th>
                <th>Unsubscribes</th>
                <th>Delivery rate</th>
                <th>Open rate</th>
                <th>Click rate</th>
                <th>Bounce rate</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr key={r.key}>
                  <td>
                    <Link href={props.link(r.key)} aria-label={`Chart ${props.what.toLowerCase()} ${r.key} alone`}>
                      {r.key}
                    </Link>
                  </td>
                  <td>{r.accepted}</td>
                  <td>{r.delivered}</td>
                  <td>{r.bounced}</td>
                  <td>
                    {r.opened} / {r.opened_machine}
                  </td>
                  <td>
                    {r.clicked} / {r.clicked_machine}
                  </td>
                  <td>{r.complained}</td>
                  <td>{r.unsubscribed}</td>
                  <td>{pct(r.rates.delivered)}</td>
                  <td>{pct(r.rates.opened)}</td>
                  <td>{pct(r.rates.clicked)}</td>
                  <td>{pct(r.rates.bounced)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
