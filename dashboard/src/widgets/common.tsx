// Small pieces the settings pages share: loading a resource, its loading and error states, times in the viewer's
// zone (UTC on hover), and a copy button.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api';

/** What a GET gave: the data, or an error message, and a way to load it again. */
export interface Loaded<T> {
  data: T | undefined;
  error: string;
  reload: () => void;
}

/** GETs `path` (again whenever it changes, or on reload()). */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setError('');
    api<T>('GET', path).then(
      (d) => {
        if (live) setData(d);
      },
      (e: unknown) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload };
}

/** An error as a sentence for the page, with the fields the server named. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = e.fieldErrors.map((f) => `${f.field}: ${f.error}`).join('; ');
    return fields && !e.message.includes(fields) ? `${e.message} (${fields})` : e.message;
  }
  return e instanceof Error ? `Could not reach the server: ${e.message}` : String(e);
}

/** The loading line, or the error with a retry button, while `data` is not there. */
export function LoadState({ loaded, what }: { loaded: Loaded<unknown>; what: string }) {
  if (loaded.error)
    return (
      <div role="alert" className="error">
        <p>
          Could not load {what}: {loaded.error}
        </p>
        <button type="button" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  return (
    <p className="loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A message after an action: an error (role=alert) or a confirmation (role=status). */
export function Notice({ error, ok }: { error?: string; ok?: string }) {
  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (ok)
    return (
      <p role="status" className="ok">
        {ok}
      </p>
    );
  return null;
}

const utc = (d: Date) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/** A time in the viewer's zone; the UTC time on hover. */
export function When({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <>{empty}</>;
  const d = new Date(iso);
  return (
    <time dateTime={iso} title={utc(d)}>
      {d.toLocaleString()}
    </time>
  );
}

/** Copies `text` to the clipboard; says so (or selects nothing and says it could not). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'' | 'copied' | 'failed'>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <button type="button" className="copy" aria-label={label} onClick={() => void copy()}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select and copy' : 'Copy'}
    </button>
  );
}

/** A secret shown this once, with a copy button. */
export function ShownOnce({ title, value, onDone }: { title: string; value: string; onDone: () => void }) {
  return (
    <div className="shown-once" role="region" aria-label={title}>
      <p>
        <strong>{title}</strong> It is shown only this once: copy it now and keep it somewhere safe.
      </p>
      <div className="secret-row">
        <code className="secret">{value}</code>
        <CopyButton text={value} label={`Copy ${title.toLowerCase()}`} />
      </div>
      <button type="button" onClick={onDone}>
        Done, I have copied it
      </button>
    </div>
  );
}
