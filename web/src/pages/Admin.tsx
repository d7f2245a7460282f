// The super-admin pages (docs/api.md "Fleet administration and audit", "OTA"): the fleet
// with filters and a node's users and audit history, OTA images and jobs with each node's
// state (re-read every 2 s while a job runs: job progress is not on the event stream of an
// admin who holds no node), users (enable, disable), and the audit log with filters.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api';
import { useLive } from '../events';
import { navigate } from '../router';
import { Columns, epochMs, Feedback, Field, useAction, when } from '../ui';

const link = (path: string, text: string) => (
  <a href={path} onClick={(e) => (e.preventDefault(), navigate(path))}>
    {text}
  </a>
);

/** Pages through a list route until it ends (at most `max` rows). */
async function pages(path: string, key: string, query: Record<string, string>, max = 1000): Promise<any[]> {
  const out: any[] = [];
  const q = new URLSearchParams({ ...query, num_records: '100' });
  while (out.length < max) {
    const a = await api('GET', `${path}?${q}`);
    out.push(...(a[key] ?? []));
    if (!a.next_id) break;
    q.set('start_id', a.next_id);
  }
  return out;
}

export function AdminNav({ path }: { path: string }) {
  const items = [
    ['/admin', 'Fleet'],
    ['/admin/ota', 'OTA'],
    ['/admin/users', 'Users'],
    ['/admin/manufacturing', 'Manufacturing'],
    ['/admin/audit', 'Audit log'],
  ];
  return (
    <nav aria-label="Administration" class="subnav">
      {items.map(([p, label]) => (
        <a key={p} href={p} aria-current={path === p ? 'page' : undefined} onClick={(e) => (e.preventDefault(), navigate(p))}>
          {label}
        </a>
      ))}
    </nav>
  );
}

export function Fleet() {
  const [filters, setFilters] = useState({ id_prefix: '', model: '', fw_version: '', user: '', online: '' });
  const [nodes, setNodes] = useState<any[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v.trim() !== ''));
    const t = setTimeout(
      () =>
        pages('/v1/admin/nodes', 'nodes', query).then(
          (n) => (setNodes(n), setError('')),
          (e) => setError(e.message),
        ),
      250, // typed filters settle first
    );
    return () => clearTimeout(t);
  }, [filters]);
  const set = (key: keyof typeof filters) => (v: string) => setFilters((f) => ({ ...f, [key]: v }));
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      <div class="filters">
        <Field label="Node id starts with" value={filters.id_prefix} onValue={set('id_prefix')} required={false} />
        <Field label="Model" value={filters.model} onValue={set('model')} required={false} />
        <Field label="Firmware version" value={filters.fw_version} onValue={set('fw_version')} required={false} />
        <Field label="User" value={filters.user} onValue={set('user')} required={false} />
        <label>
          Online
          <select value={filters.online} onChange={(e) => set('online')(e.currentTarget.value)}>
            <option value="">Any</option>
            <option value="true">Online</option>
            <option value="false">Offline</option>
          </select>
        </label>
      </div>
      <Feedback error={error} status="" />
      {nodes && (
        <table class="nodes">
          <Columns names={['Node', 'Model', 'Type', 'Firmware', 'State', 'Primary user', 'Users']} />
          <tbody>
            {nodes.map((n) => (
              <tr key={n.node_id} data-node-id={n.node_id}>
                <td>
                  {link(`/admin/nodes/${encodeURIComponent(n.node_id)}`, n.name || n.node_id)}
                  <div class="muted mono">{n.node_id}</div>
                </td>
                <td>{n.model}</td>
                <td>{n.type}</td>
                <td>{n.fw_version}</td>
                <td>
                  <span class={n.online ? 'badge on' : 'badge off'}>{n.online ? 'Online' : 'Offline'}</span>
                </td>
                <td>{n.primary_user_name ?? '—'}</td>
                <td>{n.user_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nodes?.length === 0 && <p>No node matches.</p>}
    </section>
  );
}

export function AdminNode({ nodeId }: { nodeId: string }) {
  const [detail, setDetail] = useState<any | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api('GET', `/v1/admin/nodes?node_id=${encodeURIComponent(nodeId)}`).then(setDetail, (e) => setError(e.message));
  }, [nodeId]);
  const n = detail?.node;
  return (
    <section aria-labelledby="admin-node-title">
      <h1 id="admin-node-title">{n?.name || nodeId}</h1>
      <Feedback error={error} status="" />
      {n && (
        <dl class="facts">
          <dt>Node id</dt>
          <dd class="mono">{n.node_id}</dd>
          <dt>Model / type</dt>
          <dd>
            {n.model} / {n.type}
          </dd>
          <dt>Firmware</dt>
          <dd>
            {n.fw_version} ({n.platform})
          </dd>
          <dt>State</dt>
          <dd>
            {n.online ? 'Online' : 'Offline'} since {when(n.connectivity_timestamp)}
          </dd>
        </dl>
      )}
      {detail && (
        <>
          <h2>Users</h2>
          <ul class="users">
            {detail.users.map((u: any) => (
              <li key={u.user_id} data-user={u.user_name}>
                {u.user_name} <span class="muted">{u.role}</span>
              </li>
            ))}
          </ul>
          <h2>History</h2>
          <AuditTable records={detail.history} />
        </>
      )}
    </section>
  );
}

function AuditTable({ records }: { records: any[] }) {
  return (
    <table class="nodes">
      <Columns names={['When', 'Actor', 'Action', 'Object', 'Outcome', 'Detail']} />
      <tbody>
        {records.map((a) => (
          <tr key={a.audit_id}>
            <td>{when(a.timestamp)}</td>
            <td>
              {a.actor_kind} <span class="mono">{a.actor_id}</span>
            </td>
            <td class="mono">{a.action}</td>
            <td>
              {a.object_kind} <span class="mono">{a.object_id}</span>
            </td>
            <td>{a.outcome}</td>
            <td class="mono detail">{typeof a.detail === 'string' ? a.detail : JSON.stringify(a.detail ?? '')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Ota() {
  const [images, setImages] = useState<any[] | null>(null);
  const [jobs, setJobs] = useState<any[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    Promise.all([
      pages('/v1/admin/otaimage', 'ota_images', {}),
      pages('/v1/admin/otajob', 'ota_jobs', {}),
    ]).then(
      ([i, j]) => (setImages(i), setJobs(j)),
      (e) => setError(e.message),
    );
  }, []);
  return (
    <section aria-labelledby="ota-title">
      <h1 id="ota-title">OTA</h1>
      <Feedback error={error} status="" />
      <h2>Jobs</h2>
      {jobs?.length === 0 && <p>No jobs. Make one with stratus-admin ota job create.</p>}
      {jobs && jobs.length > 0 && (
        <table class="nodes">
          <Columns names={['Job', 'Version', 'Status', 'Done', 'Failed']} />
          <tbody>
            {jobs.map((j) => (
              <tr key={j.ota_job_id}>
                <td>{link(`/admin/ota/${encodeURIComponent(j.ota_job_id)}`, j.ota_job_name || j.ota_job_id)}</td>
                <td>{j.fw_version}</td>
                <td>{j.status}</td>
                <td>
                  {j.success_count} of {j.total_count}
                </td>
                <td>{j.failed_count + j.rejected_count + j.timed_out_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Images</h2>
      {images && (
        <table class="nodes">
          <Columns names={['Image', 'Version', 'Model', 'Type', 'Chip', 'Size', 'Uploaded']} />
          <tbody>
            {images.map((i) => (
              <tr key={i.ota_image_id}>
                <td>
                  {i.image_name} {i.archived && <span class="muted">(archived)</span>}
                </td>
                <td>{i.fw_version}</td>
                <td>{i.model}</td>
                <td>{i.type}</td>
                <td>{i.chip}</td>
                <td>{Math.round(i.file_size / 1024)} KiB</td>
                <td>{when(i.upload_timestamp * 1000)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const COUNTS = ['pending', 'triggered', 'started', 'in_progress', 'delayed', 'success', 'failed', 'rejected', 'timed_out', 'cancelled'];

export function OtaJob({ jobId }: { jobId: string }) {
  const [job, setJob] = useState<any | null>(null);
  const [states, setStates] = useState<any[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      try {
        const q = `ota_job_id=${encodeURIComponent(jobId)}`;
        const [j, s] = await Promise.all([api('GET', `/v1/admin/otajob?${q}`), pages('/v1/admin/otajob/status', 'node_ota_status', { ota_job_id: jobId })]);
        if (stopped) return;
        setJob(j);
        setStates(s);
        setError('');
        if (j.status === 'active' || j.status === 'paused') timer = setTimeout(tick, 2000);
      } catch (e) {
        if (!stopped) setError((e as Error).message);
        timer = setTimeout(tick, 5000);
      }
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [jobId]);
  const done = job ? job.completed_count ?? job.success_count : 0;
  return (
    <section aria-labelledby="job-title">
      <h1 id="job-title">{job?.ota_job_name || jobId}</h1>
      <Feedback error={error} status="" />
      {job && (
        <>
          <p>
            Version {job.fw_version}: <strong class="job-status">{job.status}</strong>
            {job.pause_reason && ` (${job.pause_reason})`}
          </p>
          <progress max={job.total_count || 1} value={done} aria-label="Nodes done">
            {done} of {job.total_count}
          </progress>{' '}
          {done} of {job.total_count} done
          <ul class="counts">
            {COUNTS.filter((c) => job[`${c}_count`] > 0).map((c) => (
              <li key={c}>
                {c.replace('_', ' ')}: {job[`${c}_count`]}
              </li>
            ))}
          </ul>
          <table class="nodes">
            <Columns names={['Node', 'State', 'Since', 'Batch', 'Information']} />
            <tbody>
              {states.map((s) => (
                <tr key={s.node_id} data-node-id={s.node_id}>
                  <td>{link(`/admin/nodes/${encodeURIComponent(s.node_id)}`, s.node_id)}</td>
                  <td class="node-ota-status">{s.status}</td>
                  <td>{when(s.timestamp * 1000)}</td>
                  <td>{s.batch ?? ''}</td>
                  <td>{s.additional_info}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function Users() {
  const [users, setUsers] = useState<any[] | null>(null);
  const load = () => pages('/v1/admin/users', 'users', {}).then(setUsers, (e) => setError(e.message));
  const { error, setError, status, act } = useAction(load);
  useLive(load, [], []);
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <Feedback error={error} status={status} />
      {users && (
        <table class="nodes">
          <Columns names={['User', 'Verified', 'Super-admin', 'Since', 'Primary nodes', 'Quota', 'Access']} />
          <tbody>
            {users.map((u) => (
              <tr key={u.user_id} data-user={u.user_name}>
                <td>{u.user_name}</td>
                <td>{u.verified ? 'yes' : 'no'}</td>
                <td>{u.super_admin ? 'yes' : 'no'}</td>
                <td>{when(u.created_at * 1000)}</td>
                <td>{u.primary_nodes}</td>
                <td>{u.effective_quota === 0 ? 'unlimited' : u.effective_quota}</td>
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      act(
                        () => api('PUT', '/v1/admin/users/status', { user: u.user_name, disabled: !u.disabled }),
                        `${u.user_name} ${u.disabled ? 'enabled' : 'disabled'}.`,
                      )
                    }
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function AuditLog() {
  const [filters, setFilters] = useState({ actor: '', object: '', action: '' });
  const [applied, setApplied] = useState(filters);
  const [records, setRecords] = useState<any[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const query = Object.fromEntries(Object.entries(applied).filter(([, v]) => v.trim() !== ''));
    pages('/v1/admin/audit', 'records', query, 200).then(
      (r) => (setRecords(r), setError('')),
      (e) => setError(e.message),
    );
  }, [applied]);
  const set = (key: keyof typeof filters) => (v: string) => setFilters((f) => ({ ...f, [key]: v }));
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <Field label="Actor" value={filters.actor} onValue={set('actor')} required={false} />
        <Field label="Object" value={filters.object} onValue={set('object')} required={false} />
        <Field label="Action (or prefix)" value={filters.action} onValue={set('action')} required={false} />
        <button type="submit">Filter</button>
      </form>
      <Feedback error={error} status="" />
      {records && <AuditTable records={records} />}
      {records?.length === 200 && <p class="muted">The newest 200 entries; narrow the filters for older ones.</p>}
    </section>
  );
}

/**
 * Manufacturing (docs/adr/0014): the registered manufacturing CAs (add one as PEM), a
 * registration's progress by request id (from stratus-admin or the admin CLI), and
 * revocation: revoke a node id, let a revoked node be claimed again, the revoked list.
 */
export function Manufacturing() {
  const [cas, setCas] = useState<any[] | null>(null);
  const [revoked, setRevoked] = useState<any[] | null>(null);
  const [pem, setPem] = useState('');
  const [requestId, setRequestId] = useState('');
  const [registration, setRegistration] = useState<any | null>(null);
  const [revokeId, setRevokeId] = useState('');
  const [reason, setReason] = useState('');
  const load = () =>
    Promise.all([api('GET', '/v1/admin/cacert'), api('GET', '/v1/admin/nodes/revoked?num_records=100')]).then(
      ([c, r]) => (setCas(c.cacerts ?? []), setRevoked(r.revoked ?? [])),
      (e) => setError(e.message),
    );
  const { error, setError, status, act } = useAction(load);
  useLive(load, [], []);
  return (
    <section aria-labelledby="mfg-title">
      <h1 id="mfg-title">Manufacturing</h1>
      <Feedback error={error} status={status} />
      <h2>Manufacturing CAs</h2>
      {cas?.length === 0 && <p class="muted">None registered: nodes use certificates of the Stratus CA.</p>}
      <ul class="users">
        {cas?.map((c) => (
          <li key={c.fingerprint}>
            {c.subject} <span class="muted">until {c.not_after}</span> <span class="mono">{c.fingerprint}</span>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act(() => api('POST', '/v1/admin/cacert', { certificate: pem }), 'The CA is registered.').then(() => setPem(''));
        }}
      >
        <label>
          A manufacturing CA certificate (PEM)
          <textarea rows={4} required value={pem} onInput={(e) => setPem(e.currentTarget.value)} />
        </label>
        <button type="submit">Register the CA</button>
      </form>
      <h2>A registration</h2>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          act(
            () => api('GET', `/v1/admin/node_certificates/register?request_id=${encodeURIComponent(requestId.trim())}`).then(setRegistration),
            'Registration read.',
          );
        }}
      >
        <Field label="Request id" value={requestId} onValue={setRequestId} />
        <button type="submit">Show</button>
      </form>
      {registration && (
        <p class="registration">
          {registration.status}: {registration.registered} of {registration.total} registered, {registration.failed} failed.{' '}
          <span class="muted">{registration.description}</span>
        </p>
      )}
      <h2>Revocation</h2>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const id = revokeId.trim();
          if (confirm(`Revoke every certificate of ${id}? It is disconnected at once.`))
            act(() => api('POST', '/v1/admin/nodes/revoke', { node_id: id, reason }), `${id} is revoked.`);
        }}
      >
        <Field label="Node id to revoke" value={revokeId} onValue={setRevokeId} />
        <Field label="Reason" value={reason} onValue={setReason} required={false} maxLength={256} />
        <button type="submit">Revoke</button>
      </form>
      {revoked && revoked.length > 0 && (
        <table class="nodes">
          <Columns names={['Node', 'Revoked', 'How', 'Reason', 'Serial']} actions />
          <tbody>
            {revoked.map((r) => (
              <tr key={`${r.node_id}-${r.serial}`} data-node-id={r.node_id}>
                <td class="mono">{r.node_id}</td>
                <td>{when(epochMs(r.revoked_at))}</td>
                <td>{r.method}</td>
                <td>{r.reason}</td>
                <td class="mono">{r.serial}</td>
                <td>
                  <button type="button" class="link" onClick={() => act(() => api('POST', '/v1/admin/nodes/allow_reclaim', { node_id: r.node_id }), `${r.node_id} may be claimed again.`)}>
                    Allow reclaim
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
