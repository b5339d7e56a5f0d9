import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useRoute } from 'wouter';
import { api } from '../api';
import { CopyButton, errorText, LoadState, Notice, useApi, When } from '../widgets/common';
import './settings.css';

interface DnsRecord {
  type: string;
  name: string;
  value: string;
  purpose: string;
  status: string;
  priority?: number;
  found?: boolean;
  matches?: boolean;
  current_values?: string[];
}

interface Domain {
  id: string;
  name: string;
  status: string;
  records: DnsRecord[];
  open_tracking: boolean;
  click_tracking: boolean;
  pixel_position: 'top' | 'bottom';
  tracking_host: string | null;
  unsubscribe_links: boolean;
  created_at: string;
  verified_at: string | null;
  last_checked_at: string | null;
}

interface Sender {
  id: string;
  email: string;
  name: string | null;
  domain_id: string;
  created_at: string;
}

const PURPOSE: Record<string, string> = {
  dkim: 'DKIM signature key',
  spf: 'SPF (who may send)',
  return_path: 'Return path (bounces come back here)',
  dmarc: 'DMARC policy',
};

export function Domains() {
  const [detail, params] = useRoute<{ id: string }>('/domains/:id');
  return detail ? <DomainDetail id={params.id} /> : <DomainList />;
}

function DomainList() {
  const domains = useApi<Domain[]>('/v1/domains');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const d = await api<Domain>('POST', '/v1/domains', { name: name.trim() });
      navigate(`/domains/${d.id}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Domains</h1>
      <form className="card form-row" onSubmit={(e) => void add(e)} aria-label="Add a domain">
        <label>
          Domain to send from
          <input required value={name} placeholder="mail.example.com" onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Add domain
        </button>
      </form>
      <Notice error={error} />
      {domains.data === undefined ? (
        <LoadState loaded={domains} what="your domains" />
      ) : domains.data.length === 0 ? (
        <p className="empty">
          No domains yet. Add the domain you send from above; you will then get the DNS records to publish.
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Domain</th>
                <th>Status</th>
                <th>Added</th>
                <th>Last checked</th>
              </tr>
            </thead>
            <tbody>
              {domains.data.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link href={`/domains/${d.id}`}>{d.name}</Link>
                  </td>
                  <td>
                    <span className={`badge ${d.status}`}>{d.status}</span>
                  </td>
                  <td>
                    <When iso={d.created_at} />
                  </td>
                  <td>
                    <When iso={d.last_checked_at} empty="never" />
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

function DomainDetail({ id }: { id: string }) {
  const loaded = useApi<Domain>(`/v1/domains/${encodeURIComponent(id)}`);
  const [domain, setDomain] = useState<Domain | undefined>(undefined);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setDomain(loaded.data), [loaded.data]);
  if (!domain)
    return (
      <section>
        <p>
          <Link href="/domains">← Domains</Link>
        </p>
        <LoadState loaded={loaded} what="the domain" />
      </section>
    );
  const verify = async () => {
    setBusy(true);
    setError('');
    setOk('');
    try {
      const d = await api<Domain>('POST', `/v1/domains/${encodeURIComponent(domain.id)}/verify`);
      setDomain(d);
      setOk(
        d.status === 'verified'
          ? `${d.name} is verified: you can add senders and send.`
          : `${d.name} is not verified yet: publish the records marked below, then check again (DNS can take a while).`,
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <p>
        <Link href="/domains">← Domains</Link>
      </p>
      <div className="page-head">
        <h1>{domain.name}</h1>
        <span className={`badge ${domain.status}`} aria-label={`Status: ${domain.status}`}>
          {domain.status}
        </span>
      </div>
      <p>
        Added <When iso={domain.created_at} />; last checked <When iso={domain.last_checked_at} empty="never" />
        {domain.verified_at && (
          <>
            ; verified <When iso={domain.verified_at} />
          </>
        )}
        .
      </p>
      <div className="card">
        <h2>DNS records to publish</h2>
        <p>Add these at your DNS provider, then verify. DKIM and SPF must match for the domain to be verified.</p>
        <div className="table-wrap">
          <table className="records">
            <thead>
              <tr>
                <th>Purpose</th>
                <th>Type</th>
                <th>Name</th>
                <th>Value</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {domain.records.map((r) => (
                <tr key={r.purpose}>
                  <td data-label="Purpose">{PURPOSE[r.purpose] ?? r.purpose}</td>
                  <td data-label="Type">
                    {r.type}
                    {r.priority !== undefined ? ` (priority ${r.priority})` : ''}
                  </td>
                  <td data-label="Name">
                    <code className="record-value">{r.name}</code>{' '}
                    <CopyButton text={r.name} label={`Copy the ${r.purpose} record's name`} />
                  </td>
                  <td data-label="Value">
                    <code className="record-value">{r.value}</code>{' '}
                    <CopyButton text={r.value} label={`Copy the ${r.purpose} record's value`} />
                  </td>
                  <td data-label="Status">
                    <span className={`badge ${r.status}`}>{r.status}</span>
                    {r.found === false && <div>not found in DNS</div>}
                    {r.found && r.matches === false && (
                      <div>
                        found, but different: <code>{(r.current_values ?? []).join(' | ')}</code>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          <button type="button" className="primary" disabled={busy} onClick={() => void verify()}>
            {busy ? 'Checking DNS…' : 'Verify now'}
          </button>
        </p>
        <Notice error={error} ok={ok} />
      </div>
      <Senders domain={domain} />
      <DomainSettings domain={domain} onSaved={setDomain} />
    </section>
  );
}

function Senders({ domain }: { domain: Domain }) {
  const senders = useApi<Sender[]>('/v1/senders');
  const [local, setLocal] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const mine = senders.data?.filter((s) => s.domain_id === domain.id);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setOk('');
    try {
      const email = local.includes('@') ? local.trim() : `${local.trim()}@${domain.name}`;
      await api('POST', '/v1/senders', { email, ...(name.trim() ? { name: name.trim() } : {}) });
      setOk(`Added the sender ${email}.`);
      setLocal('');
      setName('');
      senders.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (s: Sender) => {
    if (!window.confirm(`Remove the sender ${s.email}?`)) return;
    setError('');
    setOk('');
    try {
      await api('DELETE', `/v1/senders/${encodeURIComponent(s.id)}`);
      setOk(`Removed the sender ${s.email}.`);
      senders.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="card">
      <h2>Senders</h2>
      {domain.status !== 'verified' && <p>Senders can be added once the domain is verified.</p>}
      <form className="form-row" onSubmit={(e) => void add(e)} aria-label="Add a sender">
        <label>
          Sender address
          <input
            required
            value={local}
            placeholder={`hello@${domain.name}`}
            onChange={(e) => setLocal(e.target.value)}
          />
        </label>
        <label>
          Display name (optional)
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" disabled={domain.status !== 'verified'}>
          Add sender
        </button>
      </form>
      <Notice error={error} ok={ok} />
      {mine === undefined ? (
        <LoadState loaded={senders} what="the senders" />
      ) : mine.length === 0 ? (
        <p className="empty">No senders on this domain yet.</p>
      ) : (
        <ul>
          {mine.map((s) => (
            <li key={s.id}>
              {s.name ? `${s.name} <${s.email}>` : s.email}{' '}
              <button type="button" className="danger" aria-label={`Remove ${s.email}`} onClick={() => void remove(s)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DomainSettings({ domain, onSaved }: { domain: Domain; onSaved: (d: Domain) => void }) {
  const [open, setOpen] = useState(domain.open_tracking);
  const [click, setClick] = useState(domain.click_tracking);
  const [pixel, setPixel] = useState(domain.pixel_position);
  const [host, setHost] = useState(domain.tracking_host ?? '');
  const [unsub, setUnsub] = useState(domain.unsubscribe_links);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setOk('');
    try {
      const d = await api<Domain>('PATCH', `/v1/domains/${encodeURIComponent(domain.id)}`, {
        open_tracking: open,
        click_tracking: click,
        pixel_position: pixel,
        tracking_host: host.trim() || null,
        unsubscribe_links: unsub,
      });
      onSaved(d);
      setOk('Settings saved.');
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="card" onSubmit={(e) => void save(e)} aria-label="Tracking and unsubscribe settings">
      <h2>Tracking and unsubscribe</h2>
      <p>Defaults for this domain&apos;s mail; a send body can override them.</p>
      <label className="check">
        <input type="checkbox" checked={open} onChange={(e) => setOpen(e.target.checked)} /> Track opens
      </label>
      <label className="check">
        <input type="checkbox" checked={click} onChange={(e) => setClick(e.target.checked)} /> Track clicks
      </label>
      <div className="form-row">
        <label>
          Open pixel position
          <select value={pixel} onChange={(e) => setPixel(e.target.value as 'top' | 'bottom')}>
            <option value="bottom">bottom</option>
            <option value="top">top</option>
          </select>
        </label>
        <label>
          Tracking host (optional)
          <input value={host} placeholder="links.example.com" onChange={(e) => setHost(e.target.value)} />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={unsub} onChange={(e) => setUnsub(e.target.checked)} /> Add one-click unsubscribe
        links (List-Unsubscribe) to every email
      </label>
      <p>
        <button type="submit" className="primary">
          Save settings
        </button>
      </p>
      <Notice error={error} ok={ok} />
    </form>
  );
}
