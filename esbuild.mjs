// Bundles the command line (and, later, the extension and the webview) with one esbuild context each.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const contexts = [
  {
    // The extension host side: the only bundle that imports vscode.
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    sourcemap: !production,
    minify: production,
    external: ['vscode', 'pg-native'],
    logLevel: 'warning',
  },
  {
    // The notebook renderer for query results runs in the notebook webview.
    entryPoints: ['src/renderer/resultRenderer.ts'],
    outfile: 'dist/renderer.js',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    bundle: true,
    minify: production,
    logLevel: 'warning',
  },
  {
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    sourcemap: !production,
    minify: production,
    banner: { js: '#!/usr/bin/env node' },
    // pg optionally requires pg-native; we never use it.
    external: ['pg-native'],
    logLevel: 'warning',
  },
  {
    // The README's first command; it reuses the tests' cluster helper.
    entryPoints: ['scripts/demo.ts'],
    outfile: 'dist/demo.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    external: ['pg-native'],
    logLevel: 'warning',
  },
  {
    entryPoints: ['bench/run.ts'],
    outfile: 'dist/bench.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    external: ['pg-native'],
    logLevel: 'warning',
  },
];

// Test launchers and the suite that runs inside VS Code's extension host.
const testTarget = { platform: 'node', format: 'cjs', target: 'node20', bundle: true, sourcemap: true, logLevel: 'warning' };
contexts.push(
  { ...testTarget, entryPoints: ['test/vscode/suite/index.ts'], outfile: 'dist/test/suite/index.js', external: ['vscode', 'mocha', 'pg-native'] },
  { ...testTarget, entryPoints: ['test/vscode/launchHeadless.ts'], outfile: 'dist/test/launchHeadless.js', external: ['playwright-core', 'pg-native'] },
  { ...testTarget, entryPoints: ['test/vscode/launchElectron.ts'], outfile: 'dist/test/launchElectron.js', external: ['@vscode/test-electron', 'pg-native'] },
);

for (const options of contexts) {
  const ctx = await esbuild.context(options);
  if (watch) {
    await ctx.watch();
  } else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}
