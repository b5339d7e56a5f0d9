import { useEffect, useState } from 'react';
import { api } from '../api';

interface EmailRow {
  id: string;
  subject: string;
  status: string;
  created_at: string;
  to: Array<{ email: string }>;
}

export function EmailLogs() {
  const [emails, setEmails] = useState<EmailRow[] | null>(null);
  useEffect(() => {
    void api<EmailRow[]>('GET', '/v1/emails/?limit=50').then(setEmails);
  }, []);
  return (
    <section>
      <h1>Email Logs</h1>
      {emails === null ? (
        <p className="loading">Loading…</p>
      ) : emails.length === 0 ? (
        <p className="empty">No email yet. Add a domain, then send your first email through the API.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Status</th>
              <th>To</th>
              <th>Subject</th>
              <th>Sent</th>
            </tr>
          </thead>
          <tbody>
            {emails.map((e) => (
              <tr key={e.id}>
                <td>{e.status}</td>
                <td>{e.to.map((t) => t.email).join(', ')}</td>
                <td>{e.subject}</td>
                <td>{new Date(e.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
