import type { QueryOptions, DiffSide } from './types';
import { dataRowBytes } from './wireBytes';
import type { Query } from './queries';

/** Counts what a side sends: queries and the bytes of the rows (the protocol's DataRow messages). */
export class CountingSide {
  queries = 0;
  bytes = 0;

  constructor(readonly side: DiffSide) {}

  get name(): string {
    return this.side.name;
  }

  inSnapshot<T>(work: () => Promise<T>): Promise<T> {
    return this.side.inSnapshot ? this.side.inSnapshot(work) : work();
  }

  async run(query: Query, options: QueryOptions): Promise<(string | null)[][]> {
    this.queries++;
    const rows = await this.side.query(query.text, query.values, options);
    for (const row of rows) this.bytes += dataRowBytes(row);
    return rows;
  }
}
