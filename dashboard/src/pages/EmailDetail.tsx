import { useCallback, useEffect, useState, type KeyboardEvent, type ReactNode } from 'react';
import { Link, useLocation, useParams, useSearch } from 'wouter';
import { api, ApiError, apiText, apiWithHeaders } from '../api';
import { Empty, ErrorNote, Loading, messageOf } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { Time } from '../components/Time';

interface SmtpReply {
  code?: number | null;
  text?: string;
  dsn?: string | null;
  host?: string | null;
  stage?: string;
  captured?: boolean;
}

interface Recipient {
  email: string;
  name: string | null;
  type: 'to' | 'cc' | 'bcc';
  status: string;
  attempts: number;
  last_reply: SmtpReply | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

interface EmailEvent {
  id: string;
  event_type: string;
  recipient: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
}

interface Detail {
  id: string;
  from_address: string;
  to_addresses: string[];
  cc_addresses: string[] | null;
  bcc_addresses: string[] | null;
  reply_to: string | null;
  subject: string;
  status: string;
  source: string;
  tags: string[] | null;
  scheduled_at: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  opened_count: number;
  clicked_count: number;
  retry_of_id: string | null;
  text_body: string | null;
  html_body: string | null;
  message_id: string;
  rejection_reason: string | null;
  recipients: Recipient[];
  events: EmailEvent[];
  attachments: Array<{ filename: string; content_type: string; size: number }>;
}

const TABS = [
  ['overview', 'Overview'],
  ['html', 'HTML preview'],
  ['text', 'Text'],
  ['raw', 'Raw message'],
  ['events', 'Events timeline'],
] as const;
type Tab = (typeof TABS)[number][0];

const RETRYABLE = new Set(['bounced', 'rejected', 'failed']);
const EVENTS_PAGE = 100;

/**
 * The preview's own policy on top of the page's: nothing may load, not even from this server (a pixel pointing
 * here would count an open), only inline images and styles.
 */
const PREVIEW_POLICY = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`;

/** Attributes that make a browser fetch what they name. */
const FETCHING_ATTRIBUTES = [
  'src',
  'srcset',
  'background',
  'poster',
  'data',
  'href',
  'xlink:href',
  'action',
  'formaction',
];
/** Elements that fetch, run or redirect whatever their attributes say. */
const REMOVED = 'script, base, link, meta[http-equiv], iframe, frame, frameset, object, embed, applet, noscript';

/**
 * The email's HTML with nothing in it that could reach the network: parsed inert (DOMParser loads nothing), every
 * URL an element would fetch dropped but data: ones (links keep their href: nothing follows it in a sandboxed frame
 * without scripts), url() in styles emptied, and the preview's policy first in its head. The policy alone would do
 * in principle; this makes sure no speculative fetch (a preload scan before the policy is read) can count an open.
 */
function inertHtml(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const el of doc.querySelectorAll(REMOVED)) el.remove();
  for (const el of doc.querySelectorAll('*')) {
    for (const name of FETCHING_ATTRIBUTES) {
      const value = el.getAttribute(name);
      if (value === null || (name === 'href' && el.localName === 'a')) continue;
      if (!/^\s*data:/i.test(value)) el.removeAttribute(name);
    }
    const style = el.getAttribute('style');
    if (style && /url\s*\(/i.test(style)) el.setAttribute('style', style.replace(/url\s*\([^)]*\)/gi, 'none'));
  }
  for (const el of doc.querySelectorAll('style'))
    el.textContent = (el.textContent ?? '').replace(/url\s*\([^)]*\)|@import[^;]*;?/gi, 'none');
  return `<!doctype html><html><head>${PREVIEW_POLICY}${doc.head.innerHTML}</head>${doc.body.outerHTML}</html>`;
}

/** A reply as a line: `550 5.1.1 User unknown (mx.example.net)` (the text usually starts with its code already). */
function replyLine(r: SmtpReply | null | undefined): string {
  if (!r) return '';
  const text = r.text ?? '';
  const head = [r.code, r.dsn].filter((x) => x !== null && x !== undefined && !text.includes(String(x)));
  const host = r.captured ? 'sandbox' : r.host;
  return [...head, text].filter((x) => x !== '').join(' ') + (host ? ` (${host})` : '');
}

export function EmailDetail() {
  const { id = '' } = useParams<{ id: string }>();
  const search = useSearch();
  const [, navigate] = useLocation();
  const tab = (new URLSearchParams(search).get('tab') ?? 'overview') as Tab;
  const current: Tab = TABS.some(([k]) => k === tab) ? tab : 'overview';
  const [email, setEmail] = useState<Detail | null>(null);
  const [error, setError] = useState('');
  const [notFound, setNotFound] = useState(false);
  const [action, setAction] = useState('');
  const [actionError, setActionError] = useState('');

  const load = useCallback(() => {
    setError('');
    api<Detail>('GET', `/v1/emails/${encodeURIComponent(id)}`).then(setEmail, (e: unknown) => {
      if (e instanceof ApiError && (e.status === 404 || e.status === 422)) setNotFound(true);
      else setError(messageOf(e));
    });
  }, [id]);
  useEffect(() => {
    setEmail(null);
    setNotFound(false);
    load();
  }, [load]);

  const select = (t: Tab) => navigate(`/emails/${id}${t === 'overview' ? '' : `?tab=${t}`}`, { replace: true });
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex(([k]) => k === current);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = TABS[(i + step + TABS.length) % TABS.length]![0];
    select(next);
    document.getElementById(`tab-${next}`)?.focus();
  };

  const retry = async () => {
    setAction('retry');
    setActionError('');
    try {
      const r = await api<{ id: string }>('POST', `/v1/emails/${id}/retry`);
      navigate(`/emails/${r.id}`);
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setAction('');
    }
  };
  const cancel = async () => {
    if (!window.confirm('Cancel this scheduled email? It will not be sent.')) return;
    setAction('cancel');
    setActionError('');
    try {
      await api('DELETE', `/v1/emails/scheduled/${id}`);
      load();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setAction('');
    }
  };

  if (notFound)
    return (
      <section>
        <p className="back">
          <Link href="/emails">← Email Logs</Link>
        </p>
        <h1>Email not found</h1>
        <Empty>There is no email with this id in your account.</Empty>
      </section>
    );

  return (
    <section aria-labelledby="email-title">
      <p className="back">
        <Link href="/emails">← Email Logs</Link>
      </p>
      {error ? (
        <ErrorNote error={error} retry={load} />
      ) : !email ? (
        <>
          <h1 id="email-title">Email</h1>
          <Loading label="Loading the email…" rows={6} />
        </>
      ) : (
        <>
          <div className="detail-head">
            <h1 id="email-title">{email.subject || '(no subject)'}</h1>
            <StatusBadge status={email.status} />
            <div className="actions">
              {RETRYABLE.has(email.status) && (
                <button type="button" disabled={action !== ''} onClick={() => void retry()}>
                  {action === 'retry' ? 'Retrying…' : 'Retry'}
                </button>
              )}
              {email.status === 'scheduled' && (
                <button type="button" className="danger" disabled={action !== ''} onClick={() => void cancel()}>
                  {action === 'cancel' ? 'Cancelling…' : 'Cancel sending'}
                </button>
              )}
            </div>
          </div>
          {actionError && (
            <p role="alert" className="error">
              {actionError}
            </p>
          )}
          <div className="tabs" role="tablist" aria-label="Email views" onKeyDown={onTabKey}>
            {TABS.map(([k, label]) => (
              <button
                key={k}
                id={`tab-${k}`}
                type="button"
                role="tab"
                aria-selected={current === k}
                aria-controls={`panel-${k}`}
                tabIndex={current === k ? 0 : -1}
                onClick={() => select(k)}
              >
                {label}
              </button>
            ))}
          </div>
          <div id={`panel-${current}`} role="tabpanel" aria-labelledby={`tab-${current}`} className="panel">
            {current === 'overview' && <Overview email={email} />}
            {current === 'html' && <HtmlPreview html={email.html_body} />}
            {current === 'text' &&
              (email.text_body ? <pre className="body-text">{email.text_body}</pre> : <Empty>No text part.</Empty>)}
            {current === 'raw' && <RawMessage id={email.id} />}
            {current === 'events' && <Timeline id={email.id} />}
          </div>
        </>
      )}
    </section>
  );
}

/** Why a recipient bounced: the reason its bounced event gives (hard or soft), else its last reply. */
function bounceReason(events: EmailEvent[], r: Recipient): string {
  const e = events.filter((x) => x.event_type === 'bounced' && x.recipient === r.email).at(-1);
  const reason = str(e?.metadata?.reason);
  const kind = str(e?.metadata?.bounce_type);
  if (reason) return `Bounce reason: ${reason.replace(/_/g, ' ')}${kind ? ` (${kind} bounce)` : ''}`;
  return `Bounce reason: ${r.last_reply?.text ?? 'not given'}`;
}

function Overview({ email }: { email: Detail }) {
  const list = (xs: string[] | null) => (xs?.length ? xs.join(', ') : null);
  const rows: Array<[string, ReactNode]> = [
    ['From', email.from_address],
    ['To', list(email.to_addresses)],
    ['Cc', list(email.cc_addresses)],
    ['Bcc', list(email.bcc_addresses)],
    ['Reply-To', email.reply_to],
    ['Subject', email.subject],
    [
      'Tags',
      email.tags?.length ? (
        <span className="tags">
          {email.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </span>
      ) : null,
    ],
    ['Message-ID', <code key="m">{email.message_id}</code>],
    ['Created', <Time key="c" iso={email.created_at} />],
    ['Scheduled for', email.scheduled_at ? <Time key="s" iso={email.scheduled_at} /> : null],
    ['Sent', email.sent_at ? <Time key="t" iso={email.sent_at} /> : null],
    ['Delivered', email.delivered_at ? <Time key="d" iso={email.delivered_at} /> : null],
    ['Opens / clicks', `${email.opened_count} / ${email.clicked_count} (people's)`],
    ['Source', email.source],
    ['Retry of', email.retry_of_id ? <Link href={`/emails/${email.retry_of_id}`}>the original email</Link> : null],
    ['Why not sent', email.rejection_reason],
  ];
  return (
    <>
      <dl className="facts">
        {rows
          .filter(([, v]) => v !== null && v !== '')
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
      <h2>Recipients</h2>
      <table className="recipients-table">
        <thead>
          <tr>
            <th scope="col">Recipient</th>
            <th scope="col">Status</th>
            <th scope="col">Last SMTP reply</th>
            <th scope="col">Attempts</th>
          </tr>
        </thead>
        <tbody>
          {email.recipients.map((r) => (
            <tr key={`${r.type}:${r.email}`}>
              <td data-label="Recipient">
                {r.email} <span className="muted">({r.type})</span>
              </td>
              <td data-label="Status">
                <StatusBadge status={r.status} />
                {r.status === 'bounced' && <div className="bounce-reason">{bounceReason(email.events, r)}</div>}
              </td>
              <td data-label="Last SMTP reply">
                {r.last_reply ? <code>{replyLine(r.last_reply)}</code> : <span className="muted">none yet</span>}
                {r.last_attempt_at && (
                  <div className="muted">
                    <Time iso={r.last_attempt_at} />
                  </div>
                )}
                {r.next_attempt_at && (
                  <div className="muted">
                    next try <Time iso={r.next_attempt_at} />
                  </div>
                )}
              </td>
              <td data-label="Attempts">{r.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {email.attachments.length > 0 && (
        <>
          <h2>Attachments</h2>
          <ul>
            {email.attachments.map((a) => (
              <li key={a.filename}>
                {a.filename}{' '}
                <span className="muted">
                  ({a.content_type}, {a.size.toLocaleString()} bytes)
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/**
 * The HTML as sent, in a frame that runs nothing (sandbox with no permissions) and loads nothing: the page's
 * policy holds for a srcdoc frame, and the preview adds its own, stricter one.
 */
function HtmlPreview({ html }: { html: string | null }) {
  if (!html) return <Empty>No HTML part.</Empty>;
  return (
    <>
      <p className="muted">Remote images and links are not loaded here, so previewing never counts as an open.</p>
      <iframe className="preview" title="HTML preview of the email" sandbox="" srcDoc={inertHtml(html)} />
    </>
  );
}

function RawMessage({ id }: { id: string }) {
  const [raw, setRaw] = useState<string | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    apiText(`/v1/emails/${id}/raw`).then(setRaw, (e: unknown) =>
      setError(
        e instanceof ApiError && e.status === 404
          ? 'The raw message is kept only in sandbox mode, where nothing is really sent.'
          : messageOf(e),
      ),
    );
  }, [id]);
  if (error) return <Empty>{error}</Empty>;
  if (raw === null) return <Loading label="Loading the raw message…" rows={6} />;
  return <pre className="raw">{raw}</pre>;
}

/** The events of an email, oldest first, a page at a time. */
function Timeline({ id }: { id: string }) {
  const [events, setEvents] = useState<EmailEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const fetchPage = useCallback(
    async (cursor: string | null) => {
      const p = new URLSearchParams({ limit: String(EVENTS_PAGE) });
      if (cursor) p.set('cursor', cursor);
      const r = await apiWithHeaders<EmailEvent[]>('GET', `/v1/emails/${id}/events?${p}`);
      return { list: r.body, next: r.headers.get('x-next-cursor') };
    },
    [id],
  );
  useEffect(() => {
    fetchPage(null).then(
      (r) => {
        setEvents(r.list);
        setNext(r.next);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [fetchPage]);
  const more = async () => {
    setBusy(true);
    try {
      const r = await fetchPage(next);
      setEvents((cur) => [...(cur ?? []), ...r.list]);
      setNext(r.next);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  if (error) return <ErrorNote error={error} />;
  if (events === null) return <Loading label="Loading events…" rows={4} />;
  if (events.length === 0) return <Empty>No events yet.</Empty>;
  return (
    <>
      <p className="legend">
        <span className="who-person">Person</span> opens and clicks count in your statistics;{' '}
        <span className="who-machine">Machine</span> ones (mail-provider proxies, link scanners) are kept apart.
      </p>
      <ol className="timeline">
        {events.map((e) => (
          <EventItem key={e.id} event={e} />
        ))}
      </ol>
      {next && (
        <button type="button" className="load-more" disabled={busy} onClick={() => void more()}>
          {busy ? 'Loading…' : 'Load more events'}
        </button>
      )}
    </>
  );
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function EventItem({ event: e }: { event: EmailEvent }) {
  const m = e.metadata ?? {};
  const engagement = e.event_type === 'open' || e.event_type === 'click';
  const bot = str(m.bot);
  const details: Array<[string, string]> = [];
  const add = (label: string, v: unknown) => {
    const text = typeof v === 'number' ? String(v) : str(v);
    if (text) details.push([label, text]);
  };
  const shown = new Set(['bot', 'coalesced', 'backfilled', 'honeypot', 'hard', 'captured', 'smtp_code']);
  const show = (label: string, key: string) => {
    add(label, m[key]);
    shown.add(key);
  };
  show('URL', 'url');
  show('User agent', 'ua');
  show('IP', 'ip');
  show('Referer', 'referer');
  if (str(m.smtp_response)) {
    add('SMTP reply', String(m.smtp_response) + (m.captured === true ? ' (kept by the sandbox)' : ''));
    shown.add('smtp_response');
  }
  show('DSN', 'dsn');
  show('Server', 'relay');
  show('Attempt', 'attempt');
  if (engagement) shown.add('reason');
  else if (str(m.reason))
    add(
      'Reason',
      `${String(m.reason).replace(/_/g, ' ')}${str(m.bounce_type) ? ` (${String(m.bounce_type)} bounce)` : ''}`,
    );
  shown.add('reason');
  shown.add('bounce_type');
  if (str(m.next_attempt_at)) {
    add('Next attempt', new Date(String(m.next_attempt_at)).toLocaleString());
    shown.add('next_attempt_at');
  }
  for (const [k, v] of Object.entries(m)) {
    if (shown.has(k) || v === null || v === '' || v === undefined) continue;
    details.push([k.replace(/_/g, ' '), typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  const cls = ['event', `event-${e.event_type}`, engagement ? (bot ? 'by-machine' : 'by-person') : ''].join(' ');
  return (
    <li className={cls}>
      <div className="event-head">
        <Time iso={e.created_at} />
        <span className="event-type">{e.event_type}</span>
        {engagement &&
          (bot ? (
            <span className="who-machine">
              Machine: {bot}
              {str(m.reason) ? ` (${str(m.reason)})` : ''}
            </span>
          ) : (
            <span className="who-person">Person</span>
          ))}
        {m.coalesced === true && <span className="note">repeat, not counted</span>}
        {m.backfilled === true && <span className="note">back-filled from a click</span>}
        {m.honeypot === true && <span className="note">hidden link followed</span>}
        {e.recipient && <span className="muted">{e.recipient}</span>}
      </div>
      {details.length > 0 && (
        <dl className="event-meta">
          {details.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </li>
  );
}
