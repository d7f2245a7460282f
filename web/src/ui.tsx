// Small pieces every page uses.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/** An error for screen readers and eyes alike; renders nothing for an empty message. */
export function Alert({ message, id }: { message: string; id?: string }) {
  if (!message) return null;
  return (
    <p class="error" role="alert" id={id}>
      {message}
    </p>
  );
}

/** A labelled text input bound to `value`, required unless said; extra attributes pass through. */
export function Field({
  label,
  value,
  onValue,
  required = true,
  ...input
}: {
  label: ComponentChildren;
  value: string;
  onValue: (v: string) => void;
  required?: boolean;
  [attribute: string]: unknown;
}) {
  return (
    <label>
      {label}
      <input {...input} required={required} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );
}

/**
 * What a page shows after a user's action: `act(call, done)` clears both messages, runs
 * the API call, then shows `done` or the API's error, and calls `after` (a reload) either way.
 */
export function useAction(after?: () => void) {
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const act = async (call: () => Promise<unknown>, done: string) => {
    setError('');
    setStatus('');
    try {
      await call();
      setStatus(done);
    } catch (e) {
      setError((e as Error).message);
    }
    after?.();
  };
  return { error, setError, status, act };
}

/** The error and the status of the last action. */
export function Feedback({ error, status }: { error: string; status: string }) {
  return (
    <>
      <Alert message={error} />
      {status && <p role="status">{status}</p>}
    </>
  );
}

/** A table's header row: one column per name, and an unnamed one for row buttons. */
export function Columns({ names, actions = false }: { names: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {names.map((n) => (
          <th scope="col" key={n}>
            {n}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** A time (ms since the epoch) as the browser's locale writes it; '—' when there is none. */
export function when(ms?: number): string {
  return ms ? new Date(ms).toLocaleString() : '—';
}

/** An epoch time the API gives in seconds (or, from some routes, milliseconds) as ms. */
export function epochMs(value: number): number {
  return value < 1e12 ? value * 1000 : value;
}
