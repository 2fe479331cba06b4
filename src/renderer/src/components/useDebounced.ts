import { useEffect, useState } from 'react';

/** `value`, once it has stayed the same for `delayMs` (search boxes, estimates that cost a backend round trip). */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}
