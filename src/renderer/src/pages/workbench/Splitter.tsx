import { useRef, type KeyboardEvent, type PointerEvent } from 'react';

const KEY_STEP = 24;

/**
 * A horizontal divider that resizes the pane above it: drag it, or focus it and use the arrow keys.
 */
export function Splitter({ value, min, max, onChange, label }: { value: number; min: number; max: number; onChange: (value: number) => void; label: string }) {
  const drag = useRef<{ y: number; value: number } | null>(null);
  const clamp = (v: number) => Math.round(Math.max(min, Math.min(max, v)));
  return (
    <div
      className="splitter"
      role="separator"
      aria-orientation="horizontal"
      aria-label={label}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      title={`${label}: drag, or use the arrow keys`}
      onPointerDown={(e: PointerEvent<HTMLDivElement>) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = { y: e.clientY, value };
      }}
      onPointerMove={(e) => {
        if (drag.current) onChange(clamp(drag.current.value + e.clientY - drag.current.y));
      }}
      onPointerUp={() => (drag.current = null)}
      onKeyDown={(e: KeyboardEvent) => {
        if (e.key === 'ArrowUp') onChange(clamp(value - KEY_STEP));
        else if (e.key === 'ArrowDown') onChange(clamp(value + KEY_STEP));
        else return;
        e.preventDefault();
      }}
    />
  );
}
