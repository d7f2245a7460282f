// The dashboard's shell: the session decides between the account pages and the app; the
// path decides the page (client routes; stratusd answers index.html for them).
import { ComponentChildren, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { currentSession, logout, onSessionChange, Session } from './api';
import { startEvents, stopEvents } from './events';
import { Automations } from './pages/Automations';
import { Groups } from './pages/Groups';
import { Login } from './pages/Login';
import { NodePage } from './pages/Node';
import { Nodes } from './pages/Nodes';
import { SharingRequests } from './pages/Sharing';
import { navigate, usePath } from './router';
import './style.css';

function App() {
  const [session, setSession] = useState<Session | null>(currentSession());
  const path = usePath();
  useEffect(() => onSessionChange(setSession), []);
  useEffect(() => {
    if (session) startEvents();
    else stopEvents();
  }, [session !== null]);

  if (!session) return <Login />;
  const node = /^\/nodes\/([^/]+)$/.exec(path);
  return (
    <>
      <header class="bar">
        <a class="brand" href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          Stratus
        </a>
        <nav aria-label="Pages">
          <NavLink path="/" current={path}>
            Nodes
          </NavLink>
          <NavLink path="/groups" current={path}>
            Groups
          </NavLink>
          <NavLink path="/automations" current={path}>
            Automations
          </NavLink>
          <NavLink path="/sharing" current={path}>
            Sharing
          </NavLink>
        </nav>
        <span class="who">{session.userName}</span>
        <button type="button" class="link" onClick={() => logout()}>
          Log out
        </button>
      </header>
      <main>
        {node ? (
          <NodePage nodeId={decodeURIComponent(node[1])} />
        ) : path === '/sharing' ? (
          <SharingRequests />
        ) : path === '/groups' ? (
          <Groups />
        ) : path === '/automations' ? (
          <Automations />
        ) : (
          <Nodes />
        )}
      </main>
    </>
  );
}

function NavLink({ path, current, children }: { path: string; current: string; children: ComponentChildren }) {
  return (
    <a href={path} aria-current={current === path ? 'page' : undefined} onClick={(e) => (e.preventDefault(), navigate(path))}>
      {children}
    </a>
  );
}

render(<App />, document.getElementById('app')!);
