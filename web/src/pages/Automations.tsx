// Automations (rainmaker-cloud.md §3, docs/api.md "Automations"): the user's automations,
// enabled and disabled with a switch, deleted, and made for node_params events — "when a
// param of a node compares so to a value, set params of a node" — from the nodes' configs.
// Firings arrive as `automation` events and update "last triggered".
import { useMemo, useState } from 'preact/hooks';

import { api, nodeDetails } from '../api';
import { useLive } from '../events';
import { ParamSpec, devicesOf, problem, writable } from '../params';
import { Columns, Feedback, Field, useAction, when } from '../ui';

interface Automation {
  automation_id: string;
  name: string;
  enabled: boolean;
  event_type: string;
  node_id?: string;
  events: { params: Record<string, Record<string, unknown>>; check: string }[];
  event_operator?: string;
  actions: { node_id: string; params: Record<string, Record<string, unknown>> }[];
  status?: string;
  last_triggered?: { timestamp: number; cause?: string };
}

interface NodeParams {
  id: string;
  name: string;
  params: { key: string; device: string; spec: ParamSpec }[]; // key = Device.Param
}

const CHECKS = ['==', '!=', '<', '<=', '>', '>='] as const;

async function loadAll(): Promise<Automation[]> {
  const out: Automation[] = [];
  const q = new URLSearchParams({ num_records: '100' });
  for (let page = 0; page < 100; ++page) {
    const a = await api('GET', `/v1/user/node_automation?${q}`);
    out.push(...(a.automation_trigger_actions ?? []));
    if (!a.next_id) break;
    q.set('start_id', a.next_id);
  }
  return out;
}

async function loadNodes(): Promise<NodeParams[]> {
  return (await nodeDetails()).map((d) => ({
    id: d.node_id,
    name: d.config?.info?.name || d.node_id,
    params: devicesOf(d.config).flatMap((dev) =>
      dev.params.map((p) => ({ key: `${dev.name}.${p.name}`, device: dev.name, spec: p })),
    ),
  }));
}

/** A typed-in value as the param's data type (true/false, a number, or the text). */
function parseValue(spec: ParamSpec, text: string): unknown {
  if (spec.data_type === 'bool') return text === 'true' ? true : text === 'false' ? false : text;
  if (spec.data_type === 'int' || spec.data_type === 'float') return text.trim() === '' ? NaN : Number(text);
  return text;
}

function describe(params: Record<string, Record<string, unknown>>): string {
  return Object.entries(params)
    .flatMap(([device, ps]) => Object.entries(ps).map(([p, v]) => `${device}.${p} ${JSON.stringify(v)}`))
    .join(', ');
}

export function Automations() {
  const [list, setList] = useState<Automation[] | null>(null);
  const [nodes, setNodes] = useState<NodeParams[]>([]);
  const load = () =>
    Promise.all([loadAll(), loadNodes()]).then(
      ([a, n]) => (setList(a), setNodes(n)),
      (e) => setError(e.message),
    );
  const { error, setError, status, act } = useAction(load);

  useLive(load, ['automation'], []);

  const nodeName = (id?: string) => nodes.find((n) => n.id === id)?.name ?? id ?? '';
  const path = (id: string) => `/v1/user/node_automation?automation_id=${encodeURIComponent(id)}`;

  return (
    <section aria-labelledby="automations-title">
      <h1 id="automations-title">Automations</h1>
      <Feedback error={error} status={status} />
      {list === null && !error && <p>Loading…</p>}
      {list?.length === 0 && <p>No automations yet.</p>}
      {list && list.length > 0 && (
        <table class="nodes">
          <Columns names={['Name', 'When', 'Then', 'Enabled', 'Last triggered']} actions />
          <tbody>
            {list.map((a) => (
              <tr key={a.automation_id} data-automation={a.name}>
                <td>{a.name}</td>
                <td>
                  {a.event_type === 'node_params'
                    ? `${nodeName(a.node_id)}: ` +
                      a.events.map((e) => describe(e.params).replace(' ', ` ${e.check} `)).join(` ${a.event_operator ?? 'and'} `)
                    : a.event_type}
                  {a.status === 'unsupported' && <span class="muted"> (unsupported here)</span>}
                </td>
                <td>{a.actions.map((x) => `${nodeName(x.node_id)}: ${describe(x.params)}`).join('; ')}</td>
                <td>
                  <input
                    type="checkbox"
                    role="switch"
                    aria-label={`${a.name} enabled`}
                    checked={a.enabled}
                    onChange={(e) => {
                      const enabled = e.currentTarget.checked;
                      e.currentTarget.checked = a.enabled; // the list shows the stored state
                      act(() => api('PUT', path(a.automation_id), { enabled }), `${a.name} ${enabled ? 'enabled' : 'disabled'}.`);
                    }}
                  />
                </td>
                <td class="last-triggered">{when(a.last_triggered?.timestamp)}</td>
                <td>
                  <button type="button" class="link" onClick={() => confirm(`Delete ${a.name}?`) && act(() => api('DELETE', path(a.automation_id)), `${a.name} deleted.`)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NewAutomation nodes={nodes} act={act} setError={setError} />
    </section>
  );
}

function NewAutomation({
  nodes,
  act,
  setError,
}: {
  nodes: NodeParams[];
  act: (call: () => Promise<unknown>, done: string) => Promise<void>;
  setError: (e: string) => void;
}) {
  const [name, setName] = useState('');
  const [trigger, setTrigger] = useState('');
  const [triggerParam, setTriggerParam] = useState('');
  const [check, setCheck] = useState<string>('==');
  const [triggerValue, setTriggerValue] = useState('');
  const [target, setTarget] = useState('');
  const [targetParam, setTargetParam] = useState('');
  const [targetValue, setTargetValue] = useState('');

  const triggerNode = nodes.find((n) => n.id === (trigger || nodes[0]?.id));
  const targetNode = nodes.find((n) => n.id === (target || nodes[0]?.id));
  const tParam = useMemo(() => triggerNode?.params.find((p) => p.key === (triggerParam || triggerNode.params[0]?.key)), [triggerNode, triggerParam]);
  const settable = targetNode?.params.filter((p) => writable(p.spec)) ?? [];
  const aParam = settable.find((p) => p.key === (targetParam || settable[0]?.key));

  if (nodes.length === 0) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    if (!triggerNode || !tParam || !targetNode || !aParam) return;
    const when = parseValue(tParam.spec, triggerValue);
    const then = parseValue(aParam.spec, targetValue);
    // The cloud's own rules, before sending (src/model/params.cpp).
    const why = problem(tParam.spec, when) ?? problem(aParam.spec, then);
    if (why) {
      setError(why);
      return;
    }
    const body = {
      name: name.trim(),
      event_type: 'node_params',
      node_id: triggerNode.id,
      events: [{ params: { [tParam.device]: { [tParam.spec.name]: when } }, check }],
      actions: [{ node_id: targetNode.id, params: { [aParam.device]: { [aParam.spec.name]: then } } }],
    };
    act(() => api('POST', '/v1/user/node_automation', body), `${body.name} made.`);
  };

  const nodeOptions = nodes.map((n) => (
    <option key={n.id} value={n.id}>
      {n.name} ({n.id})
    </option>
  ));
  return (
    <form class="automation" onSubmit={submit} aria-labelledby="new-automation">
      <h2 id="new-automation">New automation</h2>
      <Field label="Name" value={name} onValue={setName} maxLength={256} />
      <fieldset>
        <legend>When</legend>
        <label>
          Trigger node
          <select value={triggerNode?.id} onChange={(e) => (setTrigger(e.currentTarget.value), setTriggerParam(''))}>
            {nodeOptions}
          </select>
        </label>
        <label>
          Trigger param
          <select value={tParam?.key} onChange={(e) => setTriggerParam(e.currentTarget.value)}>
            {triggerNode?.params.map((p) => (
              <option key={p.key} value={p.key}>
                {p.key}
              </option>
            ))}
          </select>
        </label>
        <label>
          Comparison
          <select value={check} onChange={(e) => setCheck(e.currentTarget.value)}>
            {CHECKS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <Field label="Trigger value" value={triggerValue} onValue={setTriggerValue} />
      </fieldset>
      <fieldset>
        <legend>Then set</legend>
        <label>
          Action node
          <select value={targetNode?.id} onChange={(e) => (setTarget(e.currentTarget.value), setTargetParam(''))}>
            {nodeOptions}
          </select>
        </label>
        <label>
          Action param
          <select value={aParam?.key} onChange={(e) => setTargetParam(e.currentTarget.value)}>
            {settable.map((p) => (
              <option key={p.key} value={p.key}>
                {p.key}
              </option>
            ))}
          </select>
        </label>
        <Field label="Action value" value={targetValue} onValue={setTargetValue} />
      </fieldset>
      <button type="submit">Make automation</button>
    </form>
  );
}
