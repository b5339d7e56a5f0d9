import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api } from '../api';
import { STATUSES, type EmailRow, type EmailUpdate, type SavedSearch } from '../components/emails';
import { Empty, ErrorNote, Loading, messageOf } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { Time } from '../components/Time';

const PAGE = 50;
const POLL_MS = 5000;
const TOKENS = ['to:', 'from:', 'status:', 'domain:', 'tag:'] as const;

/** The time ranges the log can be narrowed to (a saved search keeps the key). */
const RANGES: ReadonlyArray<[string, string, number]> = [
  ['1h', 'Last hour', 3_600_000],
  ['24h', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
  ['30d', 'Last 30 days', 30 * 86_400_000],
];

/** What the log shows, as its URL says: a deep link or the back button brings the same view. */
interface Filters {
  q: string;
  status: string;
  domain: string;
  tag: string;
  range: string;
}

function filtersOf(search: string): Filters {
  const p = new URLSearchParams(search);
  return {
    q: p.get('q') ?? '',
    status: p.get('status') ?? '',
    domain: p.get('domain') ?? '',
    tag: p.get('tag') ?? '',
    range: p.get('range') ?? '',
  };
}

/** The log's URL for these filters (empty ones left out). */
export function logHref(f: Partial<Filters>): string {
  const p = new URLSearchParams();
  for (const k of ['q', 'status', 'domain', 'tag', 'range'] as const) {
    const v = f[k]?.trim();
    if (v) p.set(k, v);
  }
  const s = p.toString();
  return s ? `/emails?${s}` : '/emails';
}

const quoteToken = (v: string) => (/\s/.test(v) ? `"${v.replace(/"/g, '')}"` : v);

/** The search request of a page of the log. */
function searchPath(f: Filters, page: number): string {
  const q = [f.q.trim(), f.domain ? `domain:${quoteToken(f.domain)}` : ''].filter(Boolean).join(' ');
  const p = new URLSearchParams({ q, limit: String(PAGE), page: String(page) });
  if (f.status) p.set('status', f.status);
  if (f.tag) p.set('tag', f.tag);
  return `/v1/emails/search?${p}`;
}

const rangeMs = (range: string) => RANGES.find(([k]) => k === range)?.[2];
const isFiltered = (f: Filters) => Boolean(f.q.trim() || f.status || f.domain || f.tag);

/** Puts rows into a newest-first list: a known id is replaced where it is, a new one goes where its time puts it. */
function merge(list: EmailRow[], incoming: EmailRow[], keepOlderThanLast: boolean): EmailRow[] {
  const out = [...list];
  const oldest = out.at(-1)?.created_at ?? '';
  for (const row of incoming) {
    const i = out.findIndex((r) => r.id === row.id);
    if (i >= 0) {
      out[i] = { ...out[i], ...row };
      continue;
    }
    if (!keepOlderThanLast && row.created_at < oldest) continue;
    const at = out.findIndex((r) => r.created_at < row.created_at);
    out.splice(at < 0 ? out.length : at, 0, row);
  }
  return out;
}

export function EmailLogs() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = filtersOf(search);
  const key = logHref(filters);
  const [rows, setRows] = useState<EmailRow[] | null>(null);
  const [error, setError] = useState('');
  const [page, setPage] = useState(0);
  const [more, setMore] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [draft, setDraft] = useState(filters.q);
  const [domains, setDomains] = useState<string[]>([]);
  const [attempt, setAttempt] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  // The box follows the URL (back button, a recalled search).
  useEffect(() => setDraft(filters.q), [filters.q]);

  useEffect(() => {
    void api<Array<{ name: string }>>('GET', '/v1/domains').then(
      (list) => setDomains(list.map((d) => d.name)),
      () => setDomains([]),
    );
  }, []);

  /** One page of the log under the filters, within the time range; `more` when older emails may follow. */
  const fetchPage = useCallback(async (f: Filters, n: number) => {
    const list = await api<EmailRow[]>('GET', searchPath(f, n));
    const span = rangeMs(f.range);
    if (span === undefined) return { rows: list, more: list.length === PAGE };
    const since = new Date(Date.now() - span).toISOString();
    const inRange = list.filter((r) => r.created_at >= since);
    return { rows: inRange, more: list.length === PAGE && inRange.length === list.length };
  }, []);

  useEffect(() => {
    let live = true;
    setRows(null);
    setError('');
    setPage(0);
    fetchPage(filtersOf(search), 0).then(
      (r) => {
        if (!live) return;
        setRows(r.rows);
        setMore(r.more);
      },
      (e: unknown) => live && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
    // Keyed by the filters' own URL: `search` may differ from it in order only.
  }, [key, attempt, fetchPage]);

  // New and changed emails, by polling: rows change where they are, new ones slot in by time. A reader scrolled
  // down keeps their place: the first row on screen is noted before and put back where it was after.
  const state = useRef({ rows, more, filters });
  state.current = { rows, more, filters };
  const anchor = useRef<{ id: string; top: number } | null>(null);
  useLayoutEffect(() => {
    const a = anchor.current;
    anchor.current = null;
    if (!a) return;
    const el = document.querySelector(`tr[data-id="${a.id}"]`);
    const moved = el ? el.getBoundingClientRect().top - a.top : 0;
    if (moved) window.scrollBy(0, moved);
  }, [rows]);
  useEffect(() => {
    let since = new Date(Date.now() - 60_000).toISOString();
    let afterId: string | undefined;
    let stopped = false;
    const tick = async () => {
      const p = new URLSearchParams({ since });
      if (afterId) p.set('after_id', afterId);
      let changed: EmailUpdate[];
      try {
        changed = await api<EmailUpdate[]>('GET', `/v1/emails/updates?${p}`);
      } catch {
        return; // The next tick tries again; the list stays as it is.
      }
      const last = changed.at(-1);
      if (!last || stopped) return;
      since = last.updated_at;
      afterId = changed.length >= PAGE ? last.id : undefined;
      const { rows: now, filters: f } = state.current;
      if (!now) return;
      const known = new Set(now.map((r) => r.id));
      const span = rangeMs(f.range);
      const cutoff = span === undefined ? '' : new Date(Date.now() - span).toISOString();
      const inRange = (r: EmailRow) => r.created_at >= cutoff;
      // Changed rows update in place; a new one joins as it is when nothing narrows the log, else the search
      // says whether it belongs.
      let incoming: EmailRow[] = changed.filter((r) => known.has(r.id) || (!isFiltered(f) && inRange(r)));
      if (isFiltered(f) && changed.some((r) => !known.has(r.id))) {
        const fresh = await fetchPage(f, 0).catch(() => null);
        if (fresh) incoming = [...incoming, ...fresh.rows.filter((r) => !known.has(r.id))];
      }
      if (stopped || !incoming.length) return;
      if (window.scrollY > 0) {
        const onScreen = [...document.querySelectorAll<HTMLElement>('table.log tbody tr[data-id]')].find(
          (tr) => tr.getBoundingClientRect().bottom > 0,
        );
        if (onScreen) anchor.current = { id: onScreen.dataset.id!, top: onScreen.getBoundingClientRect().top };
      }
      setRows((cur) => (cur ? merge(cur, incoming, !state.current.more) : cur));
    };
    const timer = setInterval(() => void tick(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [key, fetchPage]);

  const loadMore = async () => {
    setLoadingMore(true);
    try {
      const r = await fetchPage(filters, page + 1);
      setRows((cur) => merge(cur ?? [], r.rows, true));
      setMore(r.more);
      setPage(page + 1);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoadingMore(false);
    }
  };

  const apply = (change: Partial<Filters>) => navigate(logHref({ ...filters, ...change }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({ q: draft });
  };
  const addToken = (token: string) => {
    setDraft((d) => (d && !d.endsWith(' ') ? `${d} ${token}` : `${d}${token}`));
    input.current?.focus();
  };
  const typing = /(?:^|\s)status:(\w*)$/.exec(draft);

  return (
    <section className="logs" aria-labelledby="logs-title">
      <h1 id="logs-title">Email Logs</h1>
      <form className="search" role="search" onSubmit={submit}>
        <label htmlFor="log-q">Search</label>
        <div className="search-row">
          <input
            id="log-q"
            ref={input}
            type="search"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="to:jane@example.com status:bounced welcome"
            aria-describedby="log-q-hints"
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit">Search</button>
        </div>
        <div id="log-q-hints" className="hints">
          <span>Narrow with</span>
          {TOKENS.map((t) => (
            <button key={t} type="button" className="token" onClick={() => addToken(t)} aria-label={`Add ${t}`}>
              {t}
            </button>
          ))}
          <span>
            — an address or domain after <code>to:</code> and <code>from:</code>, a tag after <code>tag:</code>; other
            words search the subject, sender and recipients; &quot;quote&quot; a phrase.
          </span>
          {typing && (
            <span className="status-hint">
              Statuses: {STATUSES.filter((s) => s.startsWith(typing[1] ?? '')).join(', ')}
            </span>
          )}
        </div>
      </form>

      <div className="filters" role="group" aria-label="Filters">
        <div className="field">
          <label htmlFor="log-range">Time range</label>
          <select id="log-range" value={filters.range} onChange={(e) => apply({ range: e.target.value })}>
            <option value="">Any time</option>
            {RANGES.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="log-status">Status</label>
          <select id="log-status" value={filters.status} onChange={(e) => apply({ status: e.target.value })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="log-domain">Domain</label>
          <select id="log-domain" value={filters.domain} onChange={(e) => apply({ domain: e.target.value })}>
            <option value="">Any domain</option>
            {[...new Set([...domains, ...(filters.domain ? [filters.domain] : [])])].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <TagFilter value={filters.tag} onChange={(tag) => apply({ tag })} />
        {(isFiltered(filters) || filters.range) && (
          <button type="button" className="link-button" onClick={() => navigate('/emails')}>
            Clear all
          </button>
        )}
      </div>

      <SavedSearches filters={filters} />

      {error ? (
        <ErrorNote error={error} retry={() => setAttempt((n) => n + 1)} />
      ) : rows === null ? (
        <Loading label="Loading emails…" rows={8} />
      ) : rows.length === 0 ? (
        <Empty>
          {isFiltered(filters) || filters.range
            ? 'No email matches this search.'
            : 'No email yet. Add a domain, then send your first email through the API.'}
        </Empty>
      ) : (
        <>
          <table className="log">
            <caption className="visually-hidden">Emails, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Sent</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-id={e.id} className="clickable" onClick={() => navigate(`/emails/${e.id}`)}>
                  <td data-label="Status">
                    <StatusBadge status={e.status} />
                  </td>
                  <td data-label="To" className="recipients">
                    {e.to_addresses.join(', ')}
                  </td>
                  <td data-label="Subject">
                    <Link href={`/emails/${e.id}`} onClick={(ev) => ev.stopPropagation()}>
                      {e.subject || '(no subject)'}
                    </Link>
                    {e.tags?.length ? (
                      <span className="tags">
                        {e.tags.map((t) => (
                          <span key={t} className="tag">
                            {t}
                          </span>
                        ))}
                      </span>
                    ) : null}
                  </td>
                  <td data-label="Sent">
                    <Time iso={e.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {more && (
            <button type="button" className="load-more" disabled={loadingMore} onClick={() => void loadMore()}>
              {loadingMore ? 'Loading…' : 'Load older emails'}
            </button>
          )}
        </>
      )}
    </section>
  );
}

/** The tag filter: applied on Enter or when the field is left, not on every key. */
function TagFilter({ value, onChange }: { value: string; onChange: (tag: string) => void }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = () => {
    if (draft.trim() !== value) onChange(draft.trim());
  };
  return (
    <div className="field">
      <label htmlFor="log-tag">Tag</label>
      <input
        id="log-tag"
        type="text"
        value={draft}
        placeholder="Any tag"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          }
        }}
      />
    </div>
  );
}

/** A saved search's log URL. The list keeps no tag of its own: a tag filter is kept as a `tag:` token. */
function savedHref(s: SavedSearch): string {
  return logHref({ q: s.query ?? '', status: s.status ?? '', domain: s.domain ?? '', range: s.range ?? '' });
}

/** The user's saved searches: recall one (a link to its view), save the current one, forget one. */
function SavedSearches({ filters }: { filters: Filters }) {
  const [list, setList] = useState<SavedSearch[] | null>(null);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ searches: SavedSearch[] }>('GET', '/v1/emails/saved-searches').then(
      (r) => setList(r.searches),
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  const store = async (next: SavedSearch[]) => {
    setBusy(true);
    setError('');
    try {
      const r = await api<{ searches: SavedSearch[] }>('PUT', '/v1/emails/saved-searches', { searches: next });
      setList(r.searches);
      return true;
    } catch (e) {
      setError(messageOf(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !list) return;
    const query = [filters.q.trim(), filters.tag ? `tag:${quoteToken(filters.tag)}` : ''].filter(Boolean).join(' ');
    const entry: SavedSearch = {
      name: name.trim(),
      query: query || null,
      range: filters.range || null,
      status: filters.status || null,
      domain: filters.domain || null,
      source: null,
    };
    if (await store([...list, entry])) setName('');
  };
  return (
    <section className="saved" aria-labelledby="saved-title">
      <h2 id="saved-title">Saved searches</h2>
      {list === null && !error ? (
        <p className="muted saved-list">Loading…</p>
      ) : (
        <ul className="saved-list">
          {list?.length === 0 && <li className="muted">None yet: search, then save it here under a name.</li>}
          {list?.map((s) => (
            <li key={s.id ?? s.name}>
              <Link href={savedHref(s)}>{s.name}</Link>
              <button
                type="button"
                className="icon-button"
                aria-label={`Delete saved search ${s.name}`}
                disabled={busy}
                onClick={() => void store(list.filter((x) => x !== s))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="save-form" onSubmit={(e) => void save(e)}>
        <label>
          Save this search as
          <input type="text" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy || list === null}>
          Save search
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
