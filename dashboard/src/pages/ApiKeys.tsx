import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { errorText, LoadState, Notice, ShownOnce, useApi, When } from '../widgets/common';
import './settings.css';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

export function ApiKeys() {
  const keys = useApi<ApiKey[]>('/v1/api-keys');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setOk('');
    try {
      const k = await api<ApiKey & { key: string }>('POST', '/v1/api-keys', { name: name.trim() || 'API key' });
      setCreated({ name: k.name, key: k.key });
      setName('');
      keys.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!window.confirm(`Revoke the key "${k.name}" (${k.prefix}…)? Anything using it stops working at once.`)) return;
    setError('');
    setOk('');
    try {
      await api('DELETE', `/v1/api-keys/${encodeURIComponent(k.id)}`);
      setOk(`Revoked "${k.name}".`);
      keys.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section>
      <h1>API keys</h1>
      <p>Your programs send mail and read its status with these keys (header Authorization: Bearer …).</p>
      <form className="card form-row" onSubmit={(e) => void create(e)} aria-label="Create an API key">
        <label>
          Name of the new key
          <input value={name} maxLength={100} placeholder="e.g. production" onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Create key
        </button>
      </form>
      {created && (
        <ShownOnce title={`New API key "${created.name}".`} value={created.key} onDone={() => setCreated(null)} />
      )}
      <Notice error={error} ok={ok} />
      {keys.data === undefined ? (
        <LoadState loaded={keys} what="your API keys" />
      ) : keys.data.length === 0 ? (
        <p className="empty">No API keys yet. Create one above, then use it to send your first email.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <When iso={k.created_at} />
                  </td>
                  <td>
                    <When iso={k.last_used_at} empty="never" />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Revoke ${k.name}`}
                      onClick={() => void revoke(k)}
                    >
                      Revoke
                    </button>
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
