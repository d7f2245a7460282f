// The dashboard's shell: the session decides between the account pages and the app; the
// path decides the page (client routes; stratusd answers index.html for them).
import { ComponentChildren, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { api, currentSession, logout, onSessionChange, Session } from './api';
import { startEvents, stopEvents } from './events';
import { AdminNav, AdminNode, AuditLog, Fleet, Manufacturing, Ota, OtaJob, Users } from './pages/Admin';
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
  const [superAdmin, setSuperAdmin] = useState(false);
  const path = usePath();
  useEffect(() => onSessionChange(setSession), []);
  useEffect(() => {
    setSuperAdmin(false);
    if (session) api('GET', '/v1/user2').then((u) => setSuperAdmin(u.super_admin === true), () => undefined);
  }, [session?.userName]);
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
          {superAdmin && (
            <NavLink path="/admin" current={path.startsWith('/admin') ? '/admin' : path}>
              Admin
            </NavLink>
          )}
        </nav>
        <span class="who">{session.userName}</span>
        <button type="button" class="link" onClick={() => logout()}>
          Log out
        </button>
      </header>
      <main>
        {path.startsWith('/admin') ? (
          <AdminPages path={path} />
        ) : node ? (
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

function AdminPages({ path }: { path: string }) {
  const node = /^\/admin\/nodes\/([^/]+)$/.exec(path);
  const job = /^\/admin\/ota\/([^/]+)$/.exec(path);
  return (
    <>
      <AdminNav path={path} />
      {node ? (
        <AdminNode nodeId={decodeURIComponent(node[1])} />
      ) : job ? (
        <OtaJob jobId={decodeURIComponent(job[1])} />
      ) : path === '/admin/ota' ? (
        <Ota />
      ) : path === '/admin/users' ? (
        <Users />
      ) : path === '/admin/audit' ? (
        <AuditLog />
      ) : path === '/admin/manufacturing' ? (
        <Manufacturing />
      ) : (
        <Fleet />
      )}
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
