/**
 * `npm run bench:format`: what the packed version 2 costs to write and read, against version 1 of the same
 * notebooks measured in the same run (the machine is shared and noisy: ratios, not times). The records are
 * the format fixtures of real runs, and the demo's record scaled up by repeating its cells (a long incident).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNotebook, printNotebook, stripLayout, type Notebook } from '../src/core/format';

const FIXTURES = path.resolve(__dirname, '..', 'test', 'fixtures', 'format', 'valid');
const RECORDS = ['v1-record.cnbook', 'v1-record-large-results.cnbook', 'v2-demo-record.cnbook'];
const ROUNDS = Number(process.env.CNBOOK_BENCH_ROUNDS ?? 30);

/** Median milliseconds of `ROUNDS` calls, after a few to warm up. */
function median(work: () => unknown): number {
  for (let i = 0; i < 3; i++) work();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function scaled(notebook: Notebook, times: number): Notebook {
  return { ...notebook, cells: Array.from({ length: times }, () => notebook.cells).flat() };
}

function row(name: string, notebook: Notebook): string {
  const v1 = printNotebook(notebook, { version: 1 });
  const v2 = printNotebook(notebook, { version: 2 });
  const print1 = median(() => printNotebook(notebook, { version: 1 }));
  const print2 = median(() => printNotebook(notebook, { version: 2 }));
  const parse1 = median(() => parseNotebook(v1));
  const parse2 = median(() => parseNotebook(v2));
  const kb = (text: string) => (Buffer.byteLength(text) / 1024).toFixed(1);
  const ms = (n: number) => n.toFixed(1);
  return (
    `| ${name} | ${kb(v1)} | ${kb(v2)} | ${(v2.length / v1.length).toFixed(2)} | ` +
    `${ms(print1)} | ${ms(print2)} | ${(print2 / print1).toFixed(1)}× | ` +
    `${ms(parse1)} | ${ms(parse2)} | ${(parse2 / parse1).toFixed(1)}× |`
  );
}

function main(): void {
  console.log(`Median of ${ROUNDS} rounds each; v1 is the baseline, measured in this run.\n`);
  console.log(
    '| record | v1 kB | v2 kB | size | print v1 ms | print v2 ms | print | parse v1 ms | parse v2 ms | parse |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of RECORDS) {
    const notebook = stripLayout(parseNotebook(fs.readFileSync(path.join(FIXTURES, name), 'utf8')));
    console.log(row(name, notebook));
  }
  const demo = stripLayout(parseNotebook(fs.readFileSync(path.join(FIXTURES, RECORDS[2]!), 'utf8')));
  console.log(row('the demo × 20 (a long incident)', scaled(demo, 20)));
}

main();
