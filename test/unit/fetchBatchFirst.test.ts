/**
 * The first cursor read's size: a cell's result starts with a few rows and grows (a wide row must not fill
 * memory); the table diff, whose results are narrow and bounded by construction, asks for all of it at once,
 * so a 50,000-row merge sub-range is one round trip on a 40 ms link, not five.
 */
import { describe, expect, it } from 'vitest';
import { FETCH_FIRST_ROWS, FetchBatchSizer } from '../../src/core/sql/fetchBatch';

describe('FetchBatchSizer first read', () => {
  it('starts with a few rows by default', () => {
    expect(new FetchBatchSizer(200_000, 4 * 1024 * 1024).next()).toBe(FETCH_FIRST_ROWS);
  });

  it('starts with the rows asked for, within the cap, and the byte budget still sizes the next read', () => {
    const sizer = new FetchBatchSizer(200_000, 1000, 200_000);
    expect(sizer.next()).toBe(200_000);
    expect(new FetchBatchSizer(5_000, 1000, 200_000).next()).toBe(5_000);
    sizer.observe([['x'.repeat(100)]]);
    expect(sizer.next()).toBe(10);
  });
});
