import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.ts';
import { DEFAULT_RESOURCES_DIR } from '../index.ts';
import { getDemoDatabase, listDemoDatabases } from './demo.ts';

describe('demo databases', () => {
  it('describes the three bundled Spider databases from the files themselves', () => {
    const demos = listDemoDatabases(DEFAULT_RESOURCES_DIR);
    expect(demos.map((d) => d.id)).toEqual(['concert_singer', 'world_1', 'car_1']);
    const concert = demos[0]!;
    expect(concert.tables).toEqual([
      { name: 'concert', rowCount: 6, columnCount: 5 },
      { name: 'singer', rowCount: 6, columnCount: 7 },
      { name: 'singer_in_concert', rowCount: 10, columnCount: 2 },
      { name: 'stadium', rowCount: 9, columnCount: 7 },
    ]);
    expect(getDemoDatabase(DEFAULT_RESOURCES_DIR, 'world_1').tables.find((t) => t.name === 'city')?.rowCount).toBe(4079);
  });

  it('says which id does not exist, and what is wrong with a missing catalog', () => {
    expect(() => getDemoDatabase(DEFAULT_RESOURCES_DIR, 'nope')).toThrow('No demo database "nope"');
    expect(() => listDemoDatabases(tempDir())).toThrow(/demo catalog .* cannot be read/);
  });
});
