// The user's nodes (GET /v1/user/nodes?node_details=true, every page), kept live by the
// event stream: connectivity flips the online state, a params report is the last change.
import { memo } from 'preact/compat';
import { useEffect, useMemo, useState } from 'preact/hooks';

import { nodeDetails } from '../api';
import { onEvent, onResync } from '../events';
import { Alert, Columns, when } from '../ui';
import { navigate } from '../router';
import { Group, loadGroups } from './Groups';

/** One row of the list. */
interface Row {
  id: string;
  name: string;
  type: string;
  role: string;
  online: boolean;
  changed: number; // ms since the epoch; 0 = never
}

function rowOf(d: any): Row {
  const info = d.config?.info ?? {};
  return {
    id: d.node_id ?? d.id,
    name: info.name || d.node_id,
    type: d.node_type || info.type || '',
    role: d.role ?? (d.primary ? 'primary' : 'secondary'),
    online: !!d.status?.connectivity?.connected,
    changed: d.status?.connectivity?.timestamp ?? 0,
  };
}

async function loadAll(): Promise<Row[]> {
  return (await nodeDetails()).map(rowOf);
}


export function Nodes() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState('');
  const [filter, setFilter] = useState('');
  const [state, setState] = useState<'all' | 'online' | 'offline'>('all');
  const [groups, setGroups] = useState<Group[]>([]);
  const [group, setGroup] = useState('');

  const reload = () =>
    loadAll().then(
      (r) => (setRows(r), setError('')),
      (e) => setError(e.message),
    );
  useEffect(() => {
    loadGroups().then(setGroups, () => setGroups([]));
  }, []);
  useEffect(() => {
    reload();
    // Events are applied in batches, once per animation frame: a fleet reporting hundreds of
    // times a second re-renders the list at most at the display's rate, and only the rows
    // that changed (Line is memoized on its row object).
    const pending = new Map<string, Partial<Row>>();
    let frame = 0;
    const flush = () => {
      frame = 0;
      const changes = new Map(pending);
      pending.clear();
      setRows((current) => current?.map((r) => (changes.has(r.id) ? { ...r, ...changes.get(r.id) } : r)) ?? null);
    };
    const offResync = onResync(reload);
    const offEvent = onEvent((e) => {
      if (!e.node_id) return;
      if (e.type === 'mapping') {
        reload();
        return;
      }
      const change: Partial<Row> | null =
        e.type === 'connectivity'
          ? { online: !!e.data?.connected, changed: e.timestamp }
          : e.type === 'params'
            ? { changed: e.timestamp }
            : null;
      if (!change) return;
      pending.set(e.node_id, { ...pending.get(e.node_id), ...change });
      frame ||= requestAnimationFrame(flush);
    });
    return () => {
      offResync();
      offEvent();
      cancelAnimationFrame(frame);
    };
  }, []);

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const members = groups.find((g) => g.group_id === group)?.nodes;
    return (rows ?? []).filter(
      (r) =>
        (state === 'all' || (state === 'online') === r.online) &&
        (!members || members.includes(r.id)) &&
        (!needle || r.name.toLowerCase().includes(needle) || r.id.toLowerCase().includes(needle)),
    );
  }, [rows, filter, state, group, groups]);

  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      <div class="filters">
        <label>
          Search
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.currentTarget.value as typeof state)}>
            <option value="all">All</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        {groups.length > 0 && (
          <label>
            Group
            <select value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
              <option value="">All nodes</option>
              {groups.map((g) => (
                <option key={g.group_id} value={g.group_id}>
                  {g.group_name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <Alert message={error} />
      {rows === null && !error && <p>Loading…</p>}
      {rows !== null && (
        <table class="nodes">
          <Columns names={['Name', 'Type', 'State', 'Last change', 'Role']} />
          <tbody>
            {shown.map((r) => (
              <Line key={r.id} row={r} />
            ))}
          </tbody>
        </table>
      )}
      {rows !== null && shown.length === 0 && <p>No node matches.</p>}
    </section>
  );
}

/** One node's row; re-rendered only when its row object changes. */
const Line = memo(function Line({ row: r }: { row: Row }) {
  const path = `/nodes/${encodeURIComponent(r.id)}`;
  return (
    <tr data-node-id={r.id}>
      <td>
        <a href={path} onClick={(e) => (e.preventDefault(), navigate(path))}>
          {r.name}
        </a>
        <div class="muted mono">{r.id}</div>
      </td>
      <td>{r.type}</td>
      <td>
        <span class={r.online ? 'badge on' : 'badge off'}>{r.online ? 'Online' : 'Offline'}</span>
      </td>
      <td>{when(r.changed)}</td>
      <td>{r.role}</td>
    </tr>
  );
});
