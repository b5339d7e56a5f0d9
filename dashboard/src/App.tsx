import { useEffect, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { api, ApiError } from './api';
import { Login } from './pages/Login';
import { Analytics } from './pages/Analytics';
import { ApiKeys } from './pages/ApiKeys';
import { Domains } from './pages/Domains';
import { EmailDetail } from './pages/EmailDetail';
import { EmailLogs } from './pages/EmailLogs';
import { Suppressions } from './pages/Suppressions';
import { Webhooks } from './pages/Webhooks';

/** The signed-in person, as GET /v1/auth/me answers. */
export interface Me {
  user: { id: string; email: string; name: string };
  account: { id: string; name: string; plan: string };
}

const PAGES: ReadonlyArray<[string, string]> = [
  ['/emails', 'Email Logs'],
  ['/analytics', 'Analytics'],
  ['/suppressions', 'Suppressions'],
  ['/domains', 'Domains'],
  ['/webhooks', 'Webhooks'],
  ['/api-keys', 'API keys'],
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [fault, setFault] = useState('');
  const [location, navigate] = useLocation();
  useEffect(() => {
    api<Me>('GET', '/v1/auth/me').then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setMe(null);
      else setFault(e instanceof Error ? e.message : String(e));
    });
  }, []);
  if (fault)
    return (
      <p role="alert" className="error">
        The server could not be reached: {fault}
      </p>
    );
  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null)
    return (
      <Login
        onLogin={(who) => {
          setMe(who);
          if (location === '/' || location === '/login') navigate('/emails');
        }}
      />
    );
  const logout = async () => {
    await api('POST', '/v1/auth/logout');
    setMe(null);
    navigate('/login');
  };
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Taifa Mail</div>
        <ul>
          {PAGES.map(([href, label]) => (
            <li key={href}>
              <Link href={href} className={location.startsWith(href) ? 'active' : ''}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="who">
          <span>{me.user.email}</span>
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </nav>
      <main>
        <Switch>
          <Route path="/emails" component={EmailLogs} />
          <Route path="/emails/:id" component={EmailDetail} />
          <Route path="/analytics" component={Analytics} />
          <Route path="/suppressions" component={Suppressions} />
          <Route path="/domains" component={Domains} />
          <Route path="/domains/:id" component={Domains} />
          <Route path="/webhooks" component={Webhooks} />
          <Route path="/webhooks/:id" component={Webhooks} />
          <Route path="/api-keys" component={ApiKeys} />
          <Route path="/">
            <EmailLogs />
          </Route>
          <Route>
            <p>This page does not exist.</p>
          </Route>
        </Switch>
      </main>
    </div>
  );
}
