// A node's alerts (GET /v1/user/nodes/alerts) and command requests (cmd-resp: POST and GET
// /v1/user/nodes/cmd), both kept current by the event stream (`alert`, `command`).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api';
import { onEvent, onResync, useLive } from '../events';
import { Alert, Columns, Feedback, when } from '../ui';

interface NodeAlert {
  alert_id: number | string;
  timestamp: number; // ms
  payload: unknown;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// The firmware's alert (esp_rmaker_raise_alert) is {"esp.alert.str": text}: show the text.
function alertText(payload: unknown): string {
  const p = payload as Record<string, unknown> | null;
  return p && typeof p === 'object' && typeof p['esp.alert.str'] === 'string' ? (p['esp.alert.str'] as string) : text(payload);
}

/** The node's newest alerts; a new one appears at the top as it is raised. */
export function Alerts({ nodeId }: { nodeId: string }) {
  const [alerts, setAlerts] = useState<NodeAlert[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api('GET', `/v1/user/nodes/alerts?node_id=${encodeURIComponent(nodeId)}&num_records=20`).then(
      (a) => setAlerts(a.alerts ?? []),
      (e) => setError(e.message),
    );
  useEffect(() => {
    load();
    const offResync = onResync(load);
    const offEvent = onEvent((e) => {
      if (e.type !== 'alert' || e.node_id !== nodeId) return;
      const next = { alert_id: e.data?.alert_id, timestamp: e.timestamp, payload: e.data?.payload };
      setAlerts((a) => [next, ...(a ?? [])].slice(0, 20));
    });
    return () => {
      offResync();
      offEvent();
    };
  }, [nodeId]);
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <Alert message={error} />
      {alerts !== null && alerts.length === 0 && <p class="muted">No alerts.</p>}
      <ul class="alerts" aria-live="polite">
        {alerts?.map((a) => (
          <li key={a.alert_id}>
            <time dateTime={new Date(a.timestamp).toISOString()}>{when(a.timestamp)}</time>{' '}
            <span class="mono">{alertText(a.payload)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface CommandRequest {
  request_id: string;
  cmd: number;
  status: string;
  request_timestamp: number; // s
  request_data?: unknown;
  response_data?: unknown;
  status_description?: string;
}

/** Sends a command request to the node and lists the caller's requests to it, live. */
export function Commands({ nodeId }: { nodeId: string }) {
  const [requests, setRequests] = useState<CommandRequest[] | null>(null);
  const [cmd, setCmd] = useState('');
  const [data, setData] = useState('{}');
  const [timeout, setTimeoutS] = useState('30');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const load = () =>
    api('GET', `/v1/user/nodes/cmd?node_id=${encodeURIComponent(nodeId)}&num_records=10`).then(
      (a) => setRequests(a.requests ?? []),
      (e) => setError(e.message),
    );
  useLive(load, ['command'], [nodeId]);

  const send = async (e: Event) => {
    e.preventDefault();
    setError('');
    setStatus('');
    const number = Number(cmd);
    if (!Number.isInteger(number) || number < 0 || number > 65535) {
      setError('The command is a number from 0 to 65535.');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(data);
    } catch {
      body = data; // a string is sent as its bytes
    }
    try {
      const answer = await api('POST', '/v1/user/nodes/cmd', {
        node_ids: [nodeId],
        cmd: number,
        data: body,
        timeout: Number(timeout),
      });
      const failure = answer.responses?.find((r: any) => r.response?.status === 'failure')?.response;
      setStatus(failure ? `Request ${answer.request_id}: ${failure.description}` : `Request ${answer.request_id} sent.`);
      load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="commands-title">
      <h2 id="commands-title">Commands</h2>
      <form class="inline" onSubmit={send}>
        <label>
          Command
          <input inputMode="numeric" required value={cmd} onInput={(e) => setCmd(e.currentTarget.value)} size={6} />
        </label>
        <label>
          Data (JSON or text)
          <input value={data} onInput={(e) => setData(e.currentTarget.value)} />
        </label>
        <label>
          Timeout (s)
          <input inputMode="numeric" value={timeout} onInput={(e) => setTimeoutS(e.currentTarget.value)} size={6} />
        </label>
        <button type="submit">Send</button>
      </form>
      <Feedback error={error} status={status} />
      {requests !== null && requests.length > 0 && (
        <table class="nodes">
          <Columns names={['Sent', 'Command', 'Data', 'Status', 'Answer']} />
          <tbody>
            {requests.map((r) => (
              <tr key={r.request_id} data-request-id={r.request_id}>
                <td>{when(r.request_timestamp * 1000)}</td>
                <td>{r.cmd}</td>
                <td class="mono">{r.request_data === undefined ? '' : text(r.request_data)}</td>
                <td class="cmd-status">
                  {r.status + (r.status_description && r.status_description !== r.status ? ` (${r.status_description})` : '')}
                </td>
                <td class="mono">{r.response_data === undefined ? '' : text(r.response_data)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
