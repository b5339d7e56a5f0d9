import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { errorText, LoadState, Notice, useApi, When } from '../widgets/common';
import './settings.css';

type ListType = 'bounce' | 'complaint' | 'unsubscribe';

interface Suppression {
  address: string;
  type: ListType;
  domain: string | null;
  tag: string | null;
  reason: string | null;
  source_email_id: string | null;
  created_at: string;
}

interface AddAnswer {
  added: number;
  already_suppressed: number;
  invalid: number;
  results: Array<{ address: string; status: string; errors: Array<{ field: string; error: string }> }>;
}

interface ImportAnswer {
  added: number;
  already_suppressed: number;
  invalid: Array<{ line: number; error: string }>;
}

const TABS: ReadonlyArray<[ListType | '', string]> = [
  ['', 'All lists'],
  ['bounce', 'Bounces'],
  ['complaint', 'Complaints'],
  ['unsubscribe', 'Unsubscribes'],
];
const PAGE = 50;

export function Suppressions() {
  const [type, setType] = useState<ListType | ''>('');
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  const params = new URLSearchParams({ page: String(page), limit: String(PAGE) });
  if (type) params.set('type', type);
  if (search) params.set('q', search);
  const list = useApi<Suppression[]>(`/v1/suppressions?${params}`);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');

  const remove = async (s: Suppression) => {
    if (!window.confirm(`Take ${s.address} off the ${s.type} list? The next email to it will go out.`)) return;
    setError('');
    setOk('');
    const scope = new URLSearchParams();
    if (s.domain) scope.set('domain', s.domain);
    if (s.tag) scope.set('tag', s.tag);
    try {
      await api(
        'DELETE',
        `/v1/suppressions/${s.type}/${encodeURIComponent(s.address)}${scope.size ? `?${scope}` : ''}`,
      );
      setOk(`Removed ${s.address} from the ${s.type} list.`);
      list.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section>
      <h1>Suppressions</h1>
      <p>Addresses Taifa Mail does not send to: hard bounces and complaints (from every domain), and unsubscribes.</p>
      <AddForm
        onAdded={(text) => {
          setOk(text);
          setError('');
          list.reload();
        }}
      />
      <ImportForm onImported={() => list.reload()} />
      <h2>Suppressed addresses</h2>
      <div className="tabs" role="group" aria-label="Which list">
        {TABS.map(([t, label]) => (
          <button
            key={t || 'all'}
            type="button"
            aria-pressed={type === t}
            onClick={() => {
              setType(t);
              setPage(0);
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <form
        role="search"
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(q.trim());
          setPage(0);
        }}
      >
        <label>
          Search addresses
          <input type="search" value={q} placeholder="part of an address" onChange={(e) => setQ(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <Notice error={error} ok={ok} />
      {list.data === undefined ? (
        <LoadState loaded={list} what="the suppression lists" />
      ) : list.data.length === 0 ? (
        <p className="empty">
          {search || type || page
            ? 'No address matches.'
            : 'No suppressed addresses. Hard bounces, complaints and unsubscribes land here on their own; add one above or import a CSV file.'}
        </p>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Address</th>
                  <th>List</th>
                  <th>Scope</th>
                  <th>Reason</th>
                  <th>Since</th>
                  <th>
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((s) => (
                  <tr key={`${s.type} ${s.address} ${s.domain ?? ''} ${s.tag ?? ''}`}>
                    <td>{s.address}</td>
                    <td>{s.type}</td>
                    <td>
                      {s.domain ?? 'all domains'}
                      {s.tag ? `, tag ${s.tag}` : ''}
                    </td>
                    <td>{s.reason ?? ''}</td>
                    <td>
                      <When iso={s.created_at} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Remove ${s.address} from the ${s.type} list`}
                        onClick={() => void remove(s)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="form-row">
            <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Previous page
            </button>
            <span>Page {page + 1}</span>
            <button type="button" disabled={list.data.length < PAGE} onClick={() => setPage(page + 1)}>
              Next page
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function AddForm({ onAdded }: { onAdded: (text: string) => void }) {
  const [address, setAddress] = useState('');
  const [type, setType] = useState<ListType>('bounce');
  const [domain, setDomain] = useState('');
  const [tag, setTag] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const item = {
        address: address.trim(),
        type,
        ...(type === 'unsubscribe' && domain.trim() ? { domain: domain.trim() } : {}),
        ...(type === 'unsubscribe' && tag.trim() ? { tag: tag.trim() } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      };
      const r = await api<AddAnswer>('POST', '/v1/suppressions', { suppressions: [item] });
      const bad = r.results.flatMap((x) => x.errors.map((f) => f.error));
      if (r.invalid) setError(bad.join('; ') || 'The address was refused.');
      else {
        onAdded(
          r.added ? `Added ${item.address} to the ${type} list.` : `${item.address} was already on the ${type} list.`,
        );
        setAddress('');
        setReason('');
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-label="Add a suppression">
      <h2>Add an address</h2>
      <div className="form-row">
        <label>
          Address
          <input type="email" required value={address} onChange={(e) => setAddress(e.target.value)} />
        </label>
        <label>
          List
          <select value={type} onChange={(e) => setType(e.target.value as ListType)}>
            <option value="bounce">bounce</option>
            <option value="complaint">complaint</option>
            <option value="unsubscribe">unsubscribe</option>
          </select>
        </label>
        {type === 'unsubscribe' && (
          <>
            <label>
              Sending domain
              <input value={domain} placeholder="example.com" onChange={(e) => setDomain(e.target.value)} />
            </label>
            <label>
              Tag (optional)
              <input value={tag} onChange={(e) => setTag(e.target.value)} />
            </label>
          </>
        )}
        <label>
          Reason (optional)
          <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Add
        </button>
      </div>
      <Notice error={error} />
    </form>
  );
}

/** Posts the file with XMLHttpRequest, whose upload reports progress. */
function upload(file: File, onProgress: (fraction: number) => void): Promise<ImportAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/suppressions/import');
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.setRequestHeader('x-taifa-csrf', '1');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: { detail?: string } & Partial<ImportAnswer> = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        body = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as ImportAnswer);
      else reject(new Error(body.detail ?? `The server answered ${xhr.status}.`));
    };
    xhr.onerror = () => reject(new Error('Could not reach the server.'));
    xhr.send(file);
  });
}

function ImportForm({ onImported }: { onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<ImportAnswer | null>(null);
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError('');
    setResult(null);
    setProgress(0);
    try {
      setResult(await upload(file, setProgress));
      onImported();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setProgress(null);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-label="Import a CSV file">
      <h2>Import a CSV file</h2>
      <p>
        The first row names the columns: <code>address,type,domain,tag,reason</code> (address and type required, in any
        order). Bad lines are skipped, the others added.
      </p>
      <div className="form-row">
        <label>
          CSV file
          <input type="file" accept=".csv,text/csv" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="submit" className="primary" disabled={!file || progress !== null}>
          Import
        </button>
      </div>
      {progress !== null && (
        <label>
          {progress < 1 ? 'Uploading' : 'Adding the addresses'}
          <progress max={1} value={progress < 1 ? progress : undefined} />
        </label>
      )}
      <Notice error={error} />
      {result && (
        <div role="status" className="import-summary">
          <p>
            Import done: <strong>{result.added}</strong> added, <strong>{result.already_suppressed}</strong> already
            suppressed, <strong>{result.invalid.length}</strong> invalid{' '}
            {result.invalid.length === 1 ? 'line' : 'lines'}.
          </p>
          {result.invalid.length > 0 && (
            <ul>
              {result.invalid.slice(0, 100).map((l) => (
                <li key={l.line}>
                  Line {l.line}: {l.error}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
