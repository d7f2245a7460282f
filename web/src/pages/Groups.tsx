// Groups (docs/api.md "Groups"): the user's root groups with their nodes, made, filled,
// emptied and deleted here; the node list filters by them (`loadGroups`).
import { useState } from 'preact/hooks';

import { api, nodeDetails } from '../api';
import { useLive } from '../events';
import { Feedback, Field, useAction } from '../ui';

/** A group as the list needs it. */
export interface Group {
  group_id: string;
  group_name: string;
  primary: boolean;
  nodes: string[];
}

/** Every group of the user (all pages), with its node ids. */
export async function loadGroups(): Promise<Group[]> {
  const out: Group[] = [];
  const q = new URLSearchParams({ node_list: 'true', num_records: '100' });
  for (let page = 0; page < 100; ++page) {
    const a = await api('GET', `/v1/user/node_group?${q}`);
    for (const g of a.groups ?? []) {
      out.push({ group_id: g.group_id, group_name: g.group_name, primary: g.primary !== false, nodes: g.nodes ?? [] });
    }
    if (!a.next_id) break;
    q.set('start_id', a.next_id);
  }
  return out;
}

async function loadNodeNames(): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const d of await nodeDetails()) names[d.node_id] = d.config?.info?.name || d.node_id;
  return names;
}

export function Groups() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [newName, setNewName] = useState('');
  const load = () =>
    Promise.all([loadGroups(), loadNodeNames()]).then(
      ([g, n]) => (setGroups(g), setNames(n)),
      (e) => setError(e.message),
    );
  const { error, setError, status, act } = useAction(load);
  useLive(load, ['mapping'], []);

  const put = (g: Group, node: string, operation: 'add' | 'remove') =>
    api('PUT', `/v1/user/node_group?group_id=${encodeURIComponent(g.group_id)}`, { nodes: [node], operation });

  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const name = newName.trim();
          act(() => api('POST', '/v1/user/node_group', { group_name: name }), `Group ${name} made.`).then(() => setNewName(''));
        }}
      >
        <Field label="New group" value={newName} onValue={setNewName} maxLength={256} />
        <button type="submit">Make</button>
      </form>
      <Feedback error={error} status={status} />
      {groups === null && !error && <p>Loading…</p>}
      {groups?.length === 0 && <p>No groups yet.</p>}
      {groups?.map((g) => {
        const outside = Object.keys(names).filter((id) => !g.nodes.includes(id));
        return (
          <fieldset class="device" key={g.group_id} data-group={g.group_name}>
            <legend>{g.group_name}</legend>
            <ul class="users">
              {g.nodes.map((id) => (
                <li key={id}>
                  {names[id] ?? id} <span class="muted mono">{id}</span>{' '}
                  {g.primary && (
                    <button type="button" class="link" onClick={() => act(() => put(g, id, 'remove'), `${names[id] ?? id} left ${g.group_name}.`)}>
                      Remove
                    </button>
                  )}
                </li>
              ))}
              {g.nodes.length === 0 && <li class="muted">No nodes.</li>}
            </ul>
            {g.primary && outside.length > 0 && (
              <form
                class="inline"
                onSubmit={(e) => {
                  e.preventDefault();
                  const select = (e.currentTarget as HTMLFormElement).elements.namedItem('node') as HTMLSelectElement;
                  const id = select.value;
                  act(() => put(g, id, 'add'), `${names[id] ?? id} joined ${g.group_name}.`);
                }}
              >
                <label>
                  Add a node to {g.group_name}
                  <select name="node">
                    {outside.map((id) => (
                      <option key={id} value={id}>
                        {names[id]} ({id})
                      </option>
                    ))}
                  </select>
                </label>
                <button type="submit">Add</button>
              </form>
            )}
            <p>
              <button
                type="button"
                class="link"
                onClick={() =>
                  confirm(`${g.primary ? 'Delete' : 'Leave'} the group ${g.group_name}?`) &&
                  act(() => api('DELETE', `/v1/user/node_group?group_id=${encodeURIComponent(g.group_id)}`), `${g.group_name} is gone.`)
                }
              >
                {g.primary ? 'Delete this group' : 'Leave this group'}
              </button>
            </p>
          </fieldset>
        );
      })}
    </section>
  );
}
