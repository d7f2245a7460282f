// Sharing (rainmaker-cloud.md §9.4–9.5, docs/api.md "Sharing"): a node's users and the
// share form on its page (primary users), and the sharing requests page — received
// requests to accept or decline, sent ones to cancel — kept current by the event stream.
import { useState } from 'preact/hooks';

import { api, currentSession } from '../api';
import { useLive } from '../events';
import { Columns, epochMs, Feedback, Field, useAction, when } from '../ui';

/** The users of one node and, for its primary users, sharing it and removing users. */
export function NodeSharing({ nodeId, primary }: { nodeId: string; primary: boolean }) {
  const [users, setUsers] = useState<{ primary: string[]; secondary: string[] } | null>(null);
  const [email, setEmail] = useState('');
  const me = currentSession()?.userName;

  const load = () =>
    api('GET', `/v1/user/nodes/sharing?node_id=${encodeURIComponent(nodeId)}`).then(
      (a) => setUsers(a.node_sharing?.[0]?.users ?? { primary: [], secondary: [] }),
      (e) => setError(e.message),
    );
  const { error, setError, status, act } = useAction(load);
  useLive(load, ['sharing_request', 'mapping'], [nodeId]);

  const remove = (user: string) =>
    act(
      () => api('DELETE', `/v1/user/nodes/sharing?nodes=${encodeURIComponent(nodeId)}&user_name=${encodeURIComponent(user)}`),
      user === me ? 'You left this node.' : `${user} no longer has this node.`,
    );

  return (
    <section class="sharing" aria-labelledby="sharing-title">
      <h2 id="sharing-title">Sharing</h2>
      {users && (
        <ul class="users">
          {users.primary.map((u) => (
            <li key={`p-${u}`}>
              {u} <span class="muted">primary</span>
            </li>
          ))}
          {users.secondary.map((u) => (
            <li key={`s-${u}`} data-user={u}>
              {u} <span class="muted">secondary</span>{' '}
              {(primary || u === me) && (
                <button type="button" class="link" onClick={() => remove(u)}>
                  {u === me ? 'Leave' : 'Remove'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {primary && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const to = email.trim();
            act(() => api('PUT', '/v1/user/nodes/sharing', { nodes: [nodeId], user_name: to }), `A sharing request was sent to ${to}.`).then(() => setEmail(''));
          }}
        >
          <Field label="Share with (e-mail)" type="email" value={email} onValue={setEmail} />
          <button type="submit">Share</button>
        </form>
      )}
      <Feedback error={error} status={status} />
    </section>
  );
}

interface Request {
  request_id: string;
  request_status: string;
  request_timestamp: number;
  node_ids?: string[];
  user_name: string;
  primary_user_name: string;
  transfer?: boolean;
}

async function requests(sent: boolean): Promise<Request[]> {
  const out: Request[] = [];
  const q = new URLSearchParams({ primary_user: String(sent), num_records: '100' });
  for (let page = 0; page < 10; ++page) {
    const a = await api('GET', `/v1/user/nodes/sharing/requests?${q}`);
    out.push(...(a.sharing_requests ?? []));
    if (!a.next_request_id) break;
    q.set('start_request_id', a.next_request_id);
  }
  return out;
}


/** The sharing requests of the user: received (accept, decline) and sent (cancel). */
export function SharingRequests() {
  const [received, setReceived] = useState<Request[] | null>(null);
  const [sent, setSent] = useState<Request[] | null>(null);

  const load = () =>
    Promise.all([requests(false), requests(true)]).then(
      ([r, s]) => (setReceived(r), setSent(s)),
      (e) => setError(e.message),
    );
  const { error, setError, status, act } = useAction(load);
  useLive(load, ['sharing_request'], []);

  const table = (rows: Request[], incoming: boolean) => (
    <table class="nodes">
      <Columns names={[incoming ? 'From' : 'To', 'Nodes', 'When', 'State']} actions />
      <tbody>
        {rows.map((r) => (
          <tr key={r.request_id} data-request-id={r.request_id}>
            <td>{incoming ? r.primary_user_name : r.user_name}</td>
            <td class="mono">{(r.node_ids ?? []).join(', ')}</td>
            <td>{when(epochMs(r.request_timestamp))}</td>
            <td>{r.request_status + (r.transfer ? ' (transfer)' : '')}</td>
            <td>
              {r.request_status === 'pending' && incoming && (
                <>
                  <button type="button" onClick={() => act(() => api('PUT', '/v1/user/nodes/sharing/requests', { accept: true, request_id: r.request_id }), 'Accepted: the nodes are in your list.')}>
                    Accept
                  </button>{' '}
                  <button type="button" onClick={() => act(() => api('PUT', '/v1/user/nodes/sharing/requests', { accept: false, request_id: r.request_id }), 'Declined.')}>
                    Decline
                  </button>
                </>
              )}
              {r.request_status === 'pending' && !incoming && (
                <button type="button" onClick={() => act(() => api('DELETE', `/v1/user/nodes/sharing/requests?request_id=${encodeURIComponent(r.request_id)}`), 'Cancelled.')}>
                  Cancel
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">Sharing requests</h1>
      <Feedback error={error} status={status} />
      <h2>Received</h2>
      {received === null ? <p>Loading…</p> : received.length === 0 ? <p>None.</p> : table(received, true)}
      <h2>Sent</h2>
      {sent === null ? <p>Loading…</p> : sent.length === 0 ? <p>None.</p> : table(sent, false)}
    </section>
  );
}
