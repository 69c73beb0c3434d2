// One esbuild context per bundle: the extension host, the result renderer, the CLI, the demo and bench
// scripts, and the VS Code test launchers and suite.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// pg optionally requires pg-native; we never use it.
const node = {
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  bundle: true,
  external: ['pg-native'],
  logLevel: 'warning',
};
const shipped = { sourcemap: !production, minify: production };

const contexts = [
  // The only bundle that imports vscode.
  {
    ...node,
    ...shipped,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode', 'pg-native'],
  },
  // Runs in the notebook's webview, so it is browser code.
  {
    entryPoints: ['src/renderer/resultRenderer.ts'],
    outfile: 'dist/renderer.js',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    bundle: true,
    minify: production,
    logLevel: 'warning',
  },
  // The Investigation Map webview, with mermaid bundled: no remote content.
  {
    entryPoints: ['src/webview/investigationMap.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    bundle: true,
    minify: true,
    logLevel: 'warning',
  },
  {
    ...node,
    ...shipped,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  },
  // The README's first command and the benchmark; both reuse the tests' cluster helper.
  { ...node, entryPoints: ['scripts/demo.ts'], outfile: 'dist/demo.js' },
  { ...node, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.js' },
  { ...node, entryPoints: ['bench/diff/main.ts'], outfile: 'dist/bench-diff.js' },
  { ...node, entryPoints: ['bench/format.ts'], outfile: 'dist/bench-format.js' },
  { ...node, entryPoints: ['bench/cells.ts'], outfile: 'dist/bench-cells.js' },
  // Test launchers, and the suite that runs inside VS Code's extension host.
  {
    ...node,
    sourcemap: true,
    entryPoints: ['test/vscode/suite/index.ts'],
    outfile: 'dist/test/suite/index.js',
    external: ['vscode', 'mocha', 'pg-native'],
  },
  {
    ...node,
    sourcemap: true,
    entryPoints: ['test/vscode/launchHeadless.ts'],
    outfile: 'dist/test/launchHeadless.js',
    external: ['playwright-core', 'pg-native'],
  },
  {
    ...node,
    sourcemap: true,
    entryPoints: ['test/vscode/launchElectron.ts'],
    outfile: 'dist/test/launchElectron.js',
    external: ['@vscode/test-electron', 'pg-native'],
  },
];

for (const options of contexts) {
  const ctx = await esbuild.context(options);
  if (watch) {
    await ctx.watch();
  } else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}
