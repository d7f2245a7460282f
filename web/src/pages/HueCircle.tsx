// A hue circle (esp.ui.hue-circle): the colour wheel of the RainMaker app, as an accessible
// slider. Drag the knob or click the ring; arrow keys move by the step, Page Up/Down by ten
// steps, Home/End to the bounds. The value is sent when the pointer is released or a key
// is let go, not while dragging; until the node reports it, the circle shows the value
// asked for and is marked pending (`data-pending`).
import { useEffect, useRef, useState } from 'preact/hooks';

interface Props {
  id: string;
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onSet: (v: number) => void;
}

export function HueCircle({ id, label, value, min, max, step, onSet }: Props) {
  // The value asked for, in a ref as well as in state: key and pointer events may come
  // faster than renders, and each must build on the one before, not on a stale render.
  const [draft, setDraftState] = useState<number | null>(null);
  const asked = useRef<number | null>(null);
  const setDraft = (v: number | null) => {
    asked.current = v;
    setDraftState(v);
  };
  const [dragging, setDragging] = useState(false);
  const ring = useRef<HTMLDivElement>(null);
  // The node reported what was asked for: show its value again.
  useEffect(() => {
    if (!dragging && asked.current !== null && value === asked.current) setDraft(null);
  }, [value]);
  const shown = draft ?? value;
  const span = max - min || 1;
  const angle = ((shown - min) / span) * 360; // 0° at the top, clockwise

  const snap = (v: number) => {
    const k = Math.round((v - min) / step);
    return Math.min(max, Math.max(min, min + k * step));
  };
  const fromPointer = (e: PointerEvent) => {
    const r = ring.current!.getBoundingClientRect();
    const dx = e.clientX - (r.left + r.width / 2);
    const dy = e.clientY - (r.top + r.height / 2);
    const degrees = ((Math.atan2(dx, -dy) * 180) / Math.PI + 360) % 360;
    return snap(min + (degrees / 360) * span);
  };
  const keys: Record<string, (v: number) => number> = {
    ArrowRight: (v) => v + step,
    ArrowUp: (v) => v + step,
    ArrowLeft: (v) => v - step,
    ArrowDown: (v) => v - step,
    PageUp: (v) => v + 10 * step,
    PageDown: (v) => v - 10 * step,
    Home: () => min,
    End: () => max,
  };

  return (
    <div
      ref={ring}
      class="hue-circle"
      id={id}
      role="slider"
      tabIndex={0}
      aria-label={label}
      aria-valuemin={min}
      aria-valuemax={max}
      aria-valuenow={shown}
      data-pending={draft !== null && !dragging ? 'true' : undefined}
      onPointerDown={(e) => {
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        setDragging(true);
        setDraft(fromPointer(e));
      }}
      onPointerMove={(e) => dragging && setDraft(fromPointer(e))}
      onPointerUp={(e) => {
        const v = fromPointer(e);
        setDragging(false);
        setDraft(v);
        onSet(v);
      }}
      onKeyDown={(e) => {
        const move = keys[e.key];
        if (!move) return;
        e.preventDefault();
        setDraft(snap(move(asked.current ?? value)));
      }}
      onKeyUp={(e) => {
        if (keys[e.key] && asked.current !== null) onSet(asked.current);
      }}
    >
      <span class="knob" style={{ transform: `rotate(${angle}deg) translateY(-62px)`, background: `hsl(${shown}, 100%, 50%)` }} />
      <output class="hue-value">{shown}</output>
    </div>
  );
}
