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

/** The signed-in person, as GET /v1/auth/me answers (email is null only for an API key's owner). */
export interface Me {
  user: { id: string; email: string | null; name: string; account_id: string };
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
  const [menuOpen, setMenuOpen] = useState(false);
  const [location, navigate] = useLocation();
  useEffect(() => {
    api<Me>('GET', '/v1/auth/me').then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setMe(null);
      else setFault(e instanceof Error ? e.message : String(e));
    });
  }, []);
  // A page chosen from the menu closes it (on a narrow screen it covers the page).
  useEffect(() => setMenuOpen(false), [location]);
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
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Taifa Mail</span>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {menuOpen ? 'Close menu' : 'Menu'}
        </button>
      </header>
      <nav id="sidebar" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        <div className="brand">Taifa Mail</div>
        <ul>
          {PAGES.map(([href, label]) => {
            const current = location === href || location.startsWith(`${href}/`);
            return (
              <li key={href}>
                <Link
                  href={href}
                  className={current ? 'active' : ''}
                  aria-current={current ? 'page' : undefined}
                  onClick={() => setMenuOpen(false)}
                >
                  {label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="who">
          <span>{me.user.email ?? me.user.name}</span>
          <span className="muted">{me.account.name}</span>
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </nav>
      <main id="content" tabIndex={-1}>
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
