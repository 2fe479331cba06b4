import { useRef, type KeyboardEvent } from 'react';

export const SIDE_TABS = [
  { id: 'history', label: 'History' },
  { id: 'traces', label: 'Traces' },
  { id: 'corrections', label: 'Corrections' },
] as const;
export type SideTab = (typeof SIDE_TABS)[number]['id'];

export const isSideTab = (v: string | null): v is SideTab => SIDE_TABS.some((t) => t.id === v);

/** The side panel's tabs; arrow keys move between them (the WAI-ARIA tabs pattern). */
export function SideTabs({ value, onChange, panelId }: { value: SideTab; onChange: (tab: SideTab) => void; panelId: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (e: KeyboardEvent, i: number) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = (i + step + SIDE_TABS.length) % SIDE_TABS.length;
    onChange(SIDE_TABS[next]!.id);
    refs.current[next]?.focus();
  };
  return (
    <div className="side-tabs" role="tablist" aria-label="Side panel">
      {SIDE_TABS.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="tab"
          id={`side-tab-${t.id}`}
          aria-selected={value === t.id}
          aria-controls={panelId}
          tabIndex={value === t.id ? 0 : -1}
          className="side-tab"
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
