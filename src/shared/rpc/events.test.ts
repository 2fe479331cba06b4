import { describe, expect, it } from 'vitest';
import { SquillError } from '../errors.ts';
import { createEventHub } from './events.ts';

const sample = { at: 'now', rssBytes: 1, heapUsedBytes: 1, cpuPercent: 0, systemFreeBytes: 1, loadAverage: [0] };

describe('event hub', () => {
  it('runs a source only while someone listens', () => {
    const hub = createEventHub();
    let starts = 0;
    let stops = 0;
    hub.setSource('app.metrics', (emit) => {
      starts++;
      emit(sample);
      return () => stops++;
    });
    const got: unknown[] = [];
    const off1 = hub.subscribe('app.metrics', (p) => got.push(p));
    const off2 = hub.subscribe('app.metrics', () => undefined);
    expect([starts, stops, got.length]).toEqual([1, 0, 1]);
    off1();
    off1(); // twice is harmless
    expect(stops).toBe(0);
    off2();
    expect(stops).toBe(1);
  });

  it('refuses unknown events and payloads that break the contract', () => {
    const hub = createEventHub();
    expect(() => hub.subscribe('nope', () => undefined)).toThrow(SquillError);
    expect(() => hub.emit('settings.changed', { theme: 'purple' } as never)).toThrow(/Invalid payload/);
  });

  it('keeps delivering when one listener throws', () => {
    const hub = createEventHub();
    const got: unknown[] = [];
    hub.subscribe('settings.changed', () => {
      throw new Error('window gone');
    });
    hub.subscribe('settings.changed', (p) => got.push(p));
    hub.emit('settings.changed', { theme: 'dark' });
    expect(got).toEqual([{ theme: 'dark' }]);
  });
});
