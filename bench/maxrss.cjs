// Preloaded into a measured process: reports its peak resident set size when it exits.
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.CNBOOK_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
});
