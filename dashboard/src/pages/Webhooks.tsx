import { Fragment, useState, type FormEvent } from 'react';
import { Link, useLocation, useRoute } from 'wouter';
import { api } from '../api';
import { errorText, LoadState, Notice, ShownOnce, useApi, When } from '../widgets/common';
import './settings.css';

const EVENTS = [
  'email.queued',
  'email.scheduled',
  'email.sent',
  'email.delivered',
  'email.deferred',
  'email.bounced',
  'email.rejected',
  'email.failed',
  'email.cancelled',
  'email.opened',
  'email.clicked',
  'email.unsubscribed',
  'email.complained',
] as const;

interface Webhook {
  id: string;
  url: string;
  events: string[];
  domain: string | null;
  tag: string | null;
  enabled: boolean;
  human_only: boolean;
  secret_hint: string;
  previous_secret_expires_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

interface Attempt {
  attempted_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

interface Delivery {
  id: string;
  event_type: string;
  status: string;
  attempt_count: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  payload: unknown;
  attempts: Attempt[];
  created_at: string;
}

export function Webhooks() {
  const [detail, params] = useRoute<{ id: string }>('/webhooks/:id');
  return detail ? <WebhookDetail id={params.id} /> : <WebhookList />;
}

function WebhookList() {
  const hooks = useApi<Webhook[]>('/v1/webhooks');
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const [, navigate] = useLocation();
  return (
    <section>
      <h1>Webhooks</h1>
      <p>Taifa Mail posts each event of your mail to these endpoints, signed (Standard Webhooks).</p>
      <CreateForm
        onCreated={(w) => {
          setCreated(w);
          hooks.reload();
        }}
      />
      {created && (
        <ShownOnce
          title="The new endpoint's signing secret."
          value={created.secret}
          onDone={() => {
            const id = created.id;
            setCreated(null);
            navigate(`/webhooks/${id}`);
          }}
        />
      )}
      {hooks.data === undefined ? (
        <LoadState loaded={hooks} what="your webhooks" />
      ) : hooks.data.length === 0 ? (
        <p className="empty">
          No webhook endpoints yet. Add the URL of your receiver above to get events as they happen.
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>Events</th>
                <th>State</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {hooks.data.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link href={`/webhooks/${w.id}`}>{w.url}</Link>
                  </td>
                  <td>{w.events.includes('*') ? 'all events' : w.events.join(', ')}</td>
                  <td>
                    <span className={`badge ${w.enabled ? 'enabled' : 'disabled'}`}>
                      {w.enabled ? 'enabled' : 'disabled'}
                    </span>
                  </td>
                  <td>
                    <When iso={w.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EventChoice({ events, onChange }: { events: string[]; onChange: (events: string[]) => void }) {
  const all = events.includes('*');
  return (
    <fieldset className="checks">
      <legend>Event types</legend>
      <label>
        <input type="checkbox" checked={all} onChange={(e) => onChange(e.target.checked ? ['*'] : [])} /> All events
      </label>
      {EVENTS.map((ev) => (
        <label key={ev}>
          <input
            type="checkbox"
            disabled={all}
            checked={all || events.includes(ev)}
            onChange={(e) => onChange(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))}
          />{' '}
          {ev}
        </label>
      ))}
    </fieldset>
  );
}

function CreateForm({ onCreated }: { onCreated: (w: { id: string; secret: string }) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['*']);
  const [domain, setDomain] = useState('');
  const [tag, setTag] = useState('');
  const [humanOnly, setHumanOnly] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const w = await api<Webhook & { secret: string }>('POST', '/v1/webhooks', {
        url: url.trim(),
        events,
        domain: domain.trim() || null,
        tag: tag.trim() || null,
        human_only: humanOnly,
      });
      setUrl('');
      onCreated({ id: w.id, secret: w.secret });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-label="Add a webhook endpoint">
      <h2>Add an endpoint</h2>
      <div className="form-row">
        <label>
          Endpoint URL
          <input
            type="url"
            required
            value={url}
            placeholder="https://example.com/taifa-events"
            onChange={(e) => setUrl(e.target.value)}
          />
        </label>
        <label>
          Only this sending domain (optional)
          <input value={domain} onChange={(e) => setDomain(e.target.value)} />
        </label>
        <label>
          Only this tag (optional)
          <input value={tag} onChange={(e) => setTag(e.target.value)} />
        </label>
      </div>
      <EventChoice events={events} onChange={setEvents} />
      <label className="check">
        <input type="checkbox" checked={humanOnly} onChange={(e) => setHumanOnly(e.target.checked)} /> Only opens and
        clicks by people (leave out machines)
      </label>
      <p>
        <button type="submit" className="primary" disabled={busy || events.length === 0}>
          Add endpoint
        </button>
      </p>
      <Notice error={error} />
    </form>
  );
}

function WebhookDetail({ id }: { id: string }) {
  const path = `/v1/webhooks/${encodeURIComponent(id)}`;
  const hook = useApi<Webhook>(path);
  const [secret, setSecret] = useState('');
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [, navigate] = useLocation();
  const w = hook.data;
  if (!w)
    return (
      <section>
        <p>
          <Link href="/webhooks">← Webhooks</Link>
        </p>
        <LoadState loaded={hook} what="the webhook" />
      </section>
    );
  const act = async (what: () => Promise<void>) => {
    setError('');
    setOk('');
    try {
      await what();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const toggle = () =>
    act(async () => {
      await api('PATCH', path, { enabled: !w.enabled });
      setOk(w.enabled ? 'Disabled: no events are posted to it.' : 'Enabled: events are posted to it again.');
      hook.reload();
    });
  const rotate = () =>
    act(async () => {
      if (!window.confirm('Make a new signing secret? The old one keeps signing beside it for 24 hours.')) return;
      const r = await api<{ secret: string }>('POST', `${path}/rotate-secret`);
      setSecret(r.secret);
      hook.reload();
    });
  const remove = () =>
    act(async () => {
      if (!window.confirm(`Delete the endpoint ${w.url}?`)) return;
      await api('DELETE', path);
      navigate('/webhooks');
    });
  return (
    <section>
      <p>
        <Link href="/webhooks">← Webhooks</Link>
      </p>
      <div className="page-head">
        <h1 className="wrap-anywhere">{w.url}</h1>
        <span className={`badge ${w.enabled ? 'enabled' : 'disabled'}`}>{w.enabled ? 'enabled' : 'disabled'}</span>
      </div>
      {w.disabled_reason && <p className="error">Disabled: {w.disabled_reason}</p>}
      {w.failing_since && (
        <p className="error">
          Failing since <When iso={w.failing_since} />.
        </p>
      )}
      <dl>
        <dt>Events</dt>
        <dd>{w.events.includes('*') ? 'all events' : w.events.join(', ')}</dd>
        <dt>Filters</dt>
        <dd>
          {w.domain ? `domain ${w.domain}` : 'every domain'}, {w.tag ? `tag ${w.tag}` : 'every tag'}
          {w.human_only ? ', people only' : ''}
        </dd>
        <dt>Signing secret</dt>
        <dd>
          <code>{w.secret_hint}</code>
          {w.previous_secret_expires_at && (
            <>
              {' '}
              (the previous one signs too until <When iso={w.previous_secret_expires_at} />)
            </>
          )}
        </dd>
      </dl>
      <div className="form-row">
        <button type="button" onClick={() => void toggle()}>
          {w.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" onClick={() => void rotate()}>
          Rotate secret
        </button>
        <button type="button" className="danger" onClick={() => void remove()}>
          Delete endpoint
        </button>
      </div>
      <Notice error={error} ok={ok} />
      {secret && <ShownOnce title="The new signing secret." value={secret} onDone={() => setSecret('')} />}
      <TestSend path={path} />
      <DeliveryLog path={path} />
    </section>
  );
}

function TestSend({ path }: { path: string }) {
  const [event, setEvent] = useState<string>('email.delivered');
  const [result, setResult] = useState<Delivery | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setResult(null);
    try {
      setResult(await api<Delivery>('POST', `${path}/test`, { event }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const last = result?.attempts[result.attempts.length - 1];
  return (
    <form className="card" onSubmit={(e) => void send(e)} aria-label="Send a test event">
      <h2>Send a test event</h2>
      <div className="form-row">
        <label>
          Event type
          <select value={event} onChange={(e) => setEvent(e.target.value)}>
            {EVENTS.map((ev) => (
              <option key={ev}>{ev}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send test'}
        </button>
      </div>
      <Notice error={error} />
      {result && (
        <div role="status" className="test-result">
          <p>
            Your endpoint answered <strong>{last?.status_code ?? result.last_status_code ?? 'nothing'}</strong>
            {last?.error ? ` (${last.error})` : ''}
            {last ? ` in ${last.duration_ms} ms` : ''}.
          </p>
          {last?.response_body && <pre className="response">{last.response_body}</pre>}
        </div>
      )}
    </form>
  );
}

function DeliveryLog({ path }: { path: string }) {
  const [status, setStatus] = useState('');
  const log = useApi<Delivery[]>(`${path}/deliveries?limit=50${status ? `&status=${status}` : ''}`);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const replay = async (d: Delivery) => {
    setError('');
    setOk('');
    try {
      await api('POST', `${path}/deliveries/${encodeURIComponent(d.id)}/replay`);
      setOk(`Replaying the ${d.event_type} delivery now.`);
      setTimeout(log.reload, 1000);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="card">
      <div className="page-head">
        <h2>Delivery log</h2>
        <div className="form-row">
          <label>
            Show
            <select value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">all deliveries</option>
              <option value="pending">pending</option>
              <option value="succeeded">succeeded</option>
              <option value="failed">failed</option>
            </select>
          </label>
          <button type="button" onClick={log.reload}>
            Refresh
          </button>
        </div>
      </div>
      <Notice error={error} ok={ok} />
      {log.data === undefined ? (
        <LoadState loaded={log} what="the delivery log" />
      ) : log.data.length === 0 ? (
        <p className="empty">Nothing posted yet. Send a test event above, or send an email.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th>Answer</th>
                <th>Attempts</th>
                <th>Created</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((d) => (
                <Fragment key={d.id}>
                  <tr>
                    <td>{d.event_type}</td>
                    <td>
                      <span className={`badge ${d.status}`}>{d.status}</span>
                    </td>
                    <td>{d.last_status_code ?? d.last_error ?? '—'}</td>
                    <td>{d.attempt_count}</td>
                    <td>
                      <When iso={d.created_at} />
                    </td>
                    <td>
                      <div className="form-row">
                        <button
                          type="button"
                          aria-expanded={open === d.id}
                          onClick={() => setOpen(open === d.id ? null : d.id)}
                        >
                          {open === d.id ? 'Hide' : 'Details'}
                        </button>
                        <button
                          type="button"
                          aria-label={`Replay the ${d.event_type} delivery`}
                          onClick={() => void replay(d)}
                        >
                          Replay
                        </button>
                      </div>
                    </td>
                  </tr>
                  {open === d.id && (
                    <tr>
                      <td colSpan={6}>
                        <h3>Payload</h3>
                        <pre className="response">{JSON.stringify(d.payload, null, 2)}</pre>
                        <h3>Attempts</h3>
                        <ul>
                          {d.attempts.map((a) => (
                            <li key={a.attempted_at}>
                              <When iso={a.attempted_at} />: {a.status_code ?? a.error ?? 'no answer'} in{' '}
                              {a.duration_ms} ms
                              {a.response_body ? <pre className="response">{a.response_body}</pre> : null}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
