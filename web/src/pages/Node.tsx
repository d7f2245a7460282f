// One node, its page generated from its node config: each param by its ui_type, writes
// checked with the cloud's rules and sent as sets (PUT /v1/user/nodes/params), values kept
// live by the node's own reports from the event stream. A set to an offline node is
// queued by the server (offline desired state) and shown as queued until a report.
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api';
import { onEvent, onResync } from '../events';
import { Alert } from '../ui';
import { Alerts, Commands } from './Activity';
import { Chart } from './Chart';
import { HueCircle } from './HueCircle';
import { NodeSharing } from './Sharing';
import { DeviceSpec, ParamSpec, devicesOf, problem, writable } from '../params';

type Values = Record<string, Record<string, unknown>>;

function merge(values: Values, report: any): Values {
  const next: Values = { ...values };
  for (const [device, params] of Object.entries(report ?? {})) {
    if (params && typeof params === 'object') next[device] = { ...(next[device] ?? {}), ...(params as object) };
  }
  return next;
}

export function NodePage({ nodeId }: { nodeId: string }) {
  const [devices, setDevices] = useState<DeviceSpec[] | null>(null);
  const [name, setName] = useState(nodeId);
  const [values, setValues] = useState<Values>({});
  // null until the status is known: the page does not say "Offline" before it has asked.
  const [online, setOnline] = useState<boolean | null>(null);
  // Connectivity events seen; a status fetched while one arrived is older than it.
  const presenceSeen = useRef(0);
  const [primary, setPrimary] = useState<boolean | null>(null);
  const [queued, setQueued] = useState<Record<string, unknown>>({});
  const [error, setError] = useState('');

  const q = `node_id=${encodeURIComponent(nodeId)}`;
  const load = async () => {
    const presenceBefore = presenceSeen.current;
    try {
      const [config, params, status, details] = await Promise.all([
        api('GET', `/v1/user/nodes/config?${q}`),
        api('GET', `/v1/user/nodes/params?${q}`),
        api('GET', `/v1/user/nodes/status?${q}`),
        api('GET', `/v1/user/nodes?node_details=true&${q}`),
      ]);
      setPrimary(details?.node_details?.[0]?.primary === true);
      setDevices(devicesOf(config));
      setName(config?.info?.name || nodeId);
      setValues(params ?? {});
      if (presenceSeen.current === presenceBefore) setOnline(!!status?.connectivity?.connected);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    load();
    const offResync = onResync(load);
    const offEvent = onEvent((e) => {
      if (e.node_id !== nodeId) return;
      if (e.type === 'params') {
        setValues((v) => merge(v, e.data?.payload));
        setQueued({});
      } else if (e.type === 'connectivity') {
        presenceSeen.current += 1;
        setOnline(!!e.data?.connected);
      } else if (e.type === 'config') {
        setDevices(devicesOf(e.data?.config));
      }
    });
    return () => {
      offResync();
      offEvent();
    };
  }, [nodeId]);

  // One set of a param in flight at a time, the newest value asked for next: sets sent
  // together travel on separate connections and the server may hand them to the node in
  // any order (five arrow keys on the hue circle once reached the lamp as 1, 2, 3, 5, 4).
  const sending = useRef(new Map<string, { latest: unknown; waiting: boolean }>());
  const set = async (device: string, param: string, value: unknown) => {
    const key = `${device}.${param}`;
    const busy = sending.current.get(key);
    if (busy) {
      busy.latest = value;
      busy.waiting = true;
      return;
    }
    const slot = { latest: value, waiting: false };
    sending.current.set(key, slot);
    try {
      await send(device, param, value);
      while (slot.waiting) {
        slot.waiting = false;
        await send(device, param, slot.latest);
      }
    } finally {
      sending.current.delete(key);
    }
  };

  const send = async (device: string, param: string, value: unknown) => {
    setError('');
    try {
      const answer = await api('PUT', '/v1/user/nodes/params', [
        { node_id: nodeId, payload: { [device]: { [param]: value } } },
      ]);
      const entry = Array.isArray(answer) ? answer[0] : answer;
      if (entry?.status === 'failure') throw new Error(entry.description);
      if (entry?.queued) setQueued((qd) => ({ ...qd, [`${device}.${param}`]: value }));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="node-title">
      <h1 id="node-title">{name}</h1>
      <p class="muted">
        <span class="mono">{nodeId}</span> ·{' '}
        {online === null ? (
          <span class="badge">…</span>
        ) : (
          <span class={online ? 'badge on' : 'badge off'}>{online ? 'Online' : 'Offline'}</span>
        )}
      </p>
      <Alert message={error} />
      {devices === null && !error && <p>Loading…</p>}
      {devices?.map((d) => (
        <fieldset class="device" key={d.name}>
          <legend>{d.name}</legend>
          {d.params
            .filter((p) => p.ui_type !== 'esp.ui.hidden')
            .map((p) => (
              <ParamControl
                key={p.name}
                device={d.name}
                spec={p}
                value={values[d.name]?.[p.name]}
                queued={queued[`${d.name}.${p.name}`]}
                onSet={(v) => set(d.name, p.name, v)}
              />
            ))}
          {d.params
            .filter((p) => p.properties.includes('time_series'))
            .map((p) => (
              <Chart key={`chart-${p.name}`} nodeId={nodeId} device={d.name} spec={p} />
            ))}
        </fieldset>
      ))}
      {devices !== null && (
        <>
          <Alerts nodeId={nodeId} />
          <Commands nodeId={nodeId} />
        </>
      )}
      {primary !== null && <NodeSharing nodeId={nodeId} primary={primary} />}
    </section>
  );
}

interface ControlProps {
  device: string;
  spec: ParamSpec;
  value: unknown;
  queued: unknown;
  onSet: (v: unknown) => void;
}

function ParamControl({ device, spec, value, queued, onSet }: ControlProps) {
  const id = `p-${device}-${spec.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const [draft, setDraft] = useState<string | null>(null);
  const [invalid, setInvalid] = useState('');
  const canWrite = writable(spec);

  const submit = (v: unknown) => {
    const why = problem(spec, v);
    setInvalid(why ?? '');
    if (!why) onSet(v);
  };

  const note =
    queued !== undefined ? (
      <span class="queued" role="status">
        queued: {JSON.stringify(queued)} (sent when the node is online)
      </span>
    ) : null;
  const message = <Alert message={invalid} id={`${id}-error`} />;

  if (!canWrite) {
    return (
      <div class="param">
        <span class="label" id={`${id}-label`}>
          {spec.name}
        </span>
        <output aria-labelledby={`${id}-label`}>{value === undefined ? '—' : String(value)}</output>
      </div>
    );
  }

  if (spec.data_type === 'bool') {
    return (
      <div class="param">
        <label for={id}>{spec.name}</label>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={value === true}
          aria-checked={value === true}
          onChange={(e) => {
            // The switch shows the node's reported state: it flips when the node's report
            // comes back over the event stream, not when it is clicked.
            const wanted = e.currentTarget.checked;
            e.currentTarget.checked = value === true;
            submit(wanted);
          }}
        />
        {note}
        {message}
      </div>
    );
  }

  if (spec.ui_type === 'esp.ui.hue-circle' && (spec.data_type === 'int' || spec.data_type === 'float')) {
    const min = spec.bounds?.min ?? 0;
    const max = spec.bounds?.max ?? 360;
    return (
      <div class="param">
        <span class="label" id={`${id}-label`}>
          {spec.name}
        </span>
        <HueCircle
          id={id}
          label={spec.name}
          value={typeof value === 'number' ? value : min}
          min={min}
          max={max}
          step={spec.bounds?.step || 1}
          onSet={submit}
        />
        {note}
        {message}
      </div>
    );
  }

  if ((spec.data_type === 'int' || spec.data_type === 'float') && spec.bounds?.min !== undefined && spec.bounds?.max !== undefined) {
    const shown = draft ?? String(value ?? spec.bounds.min);
    return (
      <div class="param">
        <label for={id}>{spec.name}</label>
        <input
          id={id}
          type="range"
          class={spec.ui_type === 'esp.ui.hue-slider' ? 'hue' : undefined}
          min={spec.bounds.min}
          max={spec.bounds.max}
          step={spec.bounds.step || (spec.data_type === 'int' ? 1 : 'any')}
          value={shown}
          aria-describedby={invalid ? `${id}-error` : undefined}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onChange={(e) => {
            submit(Number(e.currentTarget.value));
            setDraft(null);
          }}
        />
        <output for={id}>{shown}</output>
        {note}
        {message}
      </div>
    );
  }

  if (spec.data_type === 'string' && spec.valid_strs && spec.valid_strs.length > 0) {
    return (
      <div class="param">
        <label for={id}>{spec.name}</label>
        <select id={id} value={String(value ?? '')} onChange={(e) => submit(e.currentTarget.value)}>
          {value === undefined && <option value="">—</option>}
          {spec.valid_strs.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        {note}
        {message}
      </div>
    );
  }

  // Text, numbers without bounds, objects and arrays: typed in, JSON for the last two.
  const text = draft ?? (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  const parse = (t: string): unknown => {
    if (spec.data_type === 'string') return t;
    if (spec.data_type === 'int' || spec.data_type === 'float') return t.trim() === '' ? NaN : Number(t);
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  return (
    <form
      class="param"
      onSubmit={(e) => {
        e.preventDefault();
        submit(parse(text));
        setDraft(null);
      }}
    >
      <label for={id}>{spec.name}</label>
      <input
        id={id}
        type="text"
        inputMode={spec.data_type === 'int' || spec.data_type === 'float' ? 'decimal' : undefined}
        value={text}
        aria-describedby={invalid ? `${id}-error` : undefined}
        onInput={(e) => setDraft(e.currentTarget.value)}
      />
      <button type="submit">Set</button>
      {note}
      {message}
    </form>
  );
}
