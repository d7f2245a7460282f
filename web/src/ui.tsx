// Small pieces every page uses.
import type { ComponentChildren } from 'preact';

/** An error for screen readers and eyes alike; renders nothing for an empty message. */
export function Alert({ message, id }: { message: string; id?: string }) {
  if (!message) return null;
  return (
    <p class="error" role="alert" id={id}>
      {message}
    </p>
  );
}

/** A labelled text input bound to `value`; extra input attributes pass through. */
export function Field({
  label,
  value,
  onValue,
  ...input
}: {
  label: ComponentChildren;
  value: string;
  onValue: (v: string) => void;
  [attribute: string]: unknown;
}) {
  return (
    <label>
      {label}
      <input {...input} required value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );
}
