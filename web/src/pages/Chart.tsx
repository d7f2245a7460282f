// A time-series chart of one param (its config has the `time_series` property), drawn by
// uPlot from GET /v1/user/nodes/tsdata (rainmaker-cloud.md §4): a range picker and an
// aggregate picker; raw points are read page by page (the API gives at most 200 a page).
// New reports of the param arrive over the event stream and are added to a raw chart.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { api } from '../api';
import { onEvent } from '../events';
import { ParamSpec } from '../params';
import { Alert } from '../ui';

/** Time ranges offered, with the aggregation window each one uses. */
const RANGES = [
  { key: '15m', label: 'Last 15 minutes', seconds: 15 * 60, interval: 'minute' },
  { key: '1h', label: 'Last hour', seconds: 3600, interval: 'minute' },
  { key: '24h', label: 'Last 24 hours', seconds: 86400, interval: 'hour' },
  { key: '7d', label: 'Last 7 days', seconds: 7 * 86400, interval: 'day' },
  { key: '30d', label: 'Last 30 days', seconds: 30 * 86400, interval: 'day' },
] as const;
const AGGREGATES = ['raw', 'avg', 'min', 'max'] as const;
const MAX_RAW_POINTS = 5000; // 25 pages; a longer raw range asks for an aggregate instead

type Points = [number[], number[]];

async function load(nodeId: string, param: string, type: string, range: (typeof RANGES)[number], aggregate: string) {
  const end = Math.floor(Date.now() / 1000) + 1;
  const q = new URLSearchParams({
    node_id: nodeId,
    param_name: param,
    type,
    start_time: String(end - range.seconds),
    end_time: String(end),
    num_records: '200',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  });
  if (aggregate !== 'raw') {
    q.set('aggregate', aggregate);
    q.set('aggregation_interval', range.interval);
  }
  const points: Points = [[], []];
  let truncated = false;
  for (;;) {
    const answer = await api('GET', `/v1/user/nodes/tsdata?${q}`);
    const series = answer.ts_data?.[0];
    for (const v of series?.params?.[0]?.values ?? []) {
      points[0].push(v.ts);
      points[1].push(typeof v.val === 'boolean' ? Number(v.val) : v.val);
    }
    if (!series?.next_id) break;
    if (points[0].length >= MAX_RAW_POINTS) {
      truncated = true;
      break;
    }
    q.set('start_id', series.next_id);
  }
  return { points, truncated };
}

function color(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart({ nodeId, device, spec }: { nodeId: string; device: string; spec: ParamSpec }) {
  const param = `${device}.${spec.name}`;
  const type = spec.data_type === 'int' ? 'int' : spec.data_type === 'bool' ? 'bool' : 'float';
  const [rangeKey, setRangeKey] = useState<(typeof RANGES)[number]['key']>('1h');
  const [aggregate, setAggregate] = useState<string>('raw');
  const [count, setCount] = useState<number | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useRef<Points>([[], []]);
  const id = `chart-${param}`.replace(/[^A-Za-z0-9_-]/g, '_');

  // (Re)load on a change of node, param, range or aggregate.
  useEffect(() => {
    let cancelled = false;
    const range = RANGES.find((r) => r.key === rangeKey)!;
    load(nodeId, param, type, range, aggregate).then(
      ({ points, truncated }) => {
        if (cancelled) return;
        data.current = points;
        setCount(points[0].length);
        setNote(truncated ? `Showing the first ${points[0].length} points: pick an aggregate for the whole range.` : '');
        setError('');
        draw();
      },
      (e) => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [nodeId, param, rangeKey, aggregate]);

  // A raw chart grows with the param's reports.
  useEffect(
    () =>
      onEvent((e) => {
        if (e.type !== 'params' || e.node_id !== nodeId || aggregate !== 'raw') return;
        const v = e.data?.payload?.[device]?.[spec.name];
        if (typeof v !== 'number' && typeof v !== 'boolean') return;
        data.current[0].push(Math.floor(e.timestamp / 1000));
        data.current[1].push(Number(v));
        setCount(data.current[0].length);
        plot.current?.setData(data.current);
      }),
    [nodeId, device, spec.name, aggregate],
  );

  useEffect(() => () => plot.current?.destroy(), []);

  function draw() {
    const el = box.current;
    if (!el) return;
    plot.current?.destroy();
    const width = Math.max(280, el.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 220,
        series: [
          {},
          { label: spec.name, stroke: color('--accent'), width: 2, points: { show: data.current[0].length < 60 } },
        ],
        axes: [
          { stroke: color('--muted'), grid: { stroke: color('--line') } },
          { stroke: color('--muted'), grid: { stroke: color('--line') } },
        ],
        legend: { show: true },
      },
      data.current,
      el,
    );
  }

  return (
    <div class="chart" role="group" aria-labelledby={`${id}-title`}>
      <div class="chart-head">
        <h3 id={`${id}-title`}>{spec.name} over time</h3>
        <label>
          Range
          <select value={rangeKey} onChange={(e) => setRangeKey(e.currentTarget.value as typeof rangeKey)}>
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Aggregate
          <select value={aggregate} onChange={(e) => setAggregate(e.currentTarget.value)}>
            {AGGREGATES.filter((a) => a === 'raw' || type !== 'bool').map((a) => (
              <option key={a} value={a}>
                {a === 'raw' ? 'Raw points' : a}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Alert message={error} />
      <div ref={box} class="plot" data-points={count ?? undefined} />
      <p class="muted" role="status">
        {count === null ? 'Loading…' : count === 0 ? 'No points in this range.' : `${count} points`} {note}
      </p>
    </div>
  );
}
