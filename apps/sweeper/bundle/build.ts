/**
 * `npx nx run sweeper:bundle`: one self-contained folder, dist/sweeper/, that runs the sweeper and its
 * benchmarks on a Linux x64 machine with Node 20 and no network (the GPU nodes of many clusters have none):
 *
 *   main.js            the CLI (`node dist/sweeper/main.js run --config FILE`, `report`), esbuild-bundled
 *   worker.js          the worker process main.js forks
 *   list-adapters.js   the child that lists WebGPU adapters for main.js (Dawn's warnings stay out of its screen)
 *   bench-model.js     model:bench;  bench-sweeper.js  sweeper:bench
 *   *.wasm             TensorFlow.js's WebAssembly backend
 *   dist/linux-x64/dawn.node   Dawn (WebGPU), where the webgpu package looks for it beside the bundle
 *   *.node             better-sqlite3's and resvg's addons (esbuild's copy loader)
 *   l2x_kernels.node   the native product kernel, when `npm ci` built it (one file with every instruction set;
 *                      Node-API, so any Node ≥ 20 loads it); without it trials run on wasm's own kernels
 *
 * `--out DIR` writes the folder elsewhere (the bundle's test builds one in a temporary folder).
 * No node_modules. Optional backends that need libtensorflow (tfjs-node, tfjs-node-gpu) are left out: `auto`
 * passes over them as when they are not installed.
 */
import { build, type Plugin } from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADDON_FILE, ADDON_PATH } from '@l2x/native-kernels';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { values: args } = parseArgs({ options: { out: { type: 'string' } } });
const out = args.out ? resolve(args.out) : join(root, 'dist/sweeper');
const require = createRequire(join(root, 'package.json'));
const LIMIT_MIB = 60;

/** better-sqlite3 finds its addon through the `bindings` package, by searching folders: give it the file instead. */
const sqliteAddon: Plugin = {
  name: 'better-sqlite3-addon',
  setup(b) {
    const addon = join(dirname(require.resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
    b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'l2x-bindings' }));
    b.onLoad({ filter: /.*/, namespace: 'l2x-bindings' }, () => ({
      contents: `module.exports = () => require(${JSON.stringify(addon)});`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

// The bundle is ESM; the CommonJS inside it (and Emscripten's wasm loader) expects require, __dirname and
// __filename. As globals, not module constants: bundled ES modules (the webgpu package) declare their own.
// Every output file sits in one folder, so the first file's paths serve them all.
const banner = [
  `import { createRequire as __l2xRequire } from 'node:module';`,
  `import { fileURLToPath as __l2xPath } from 'node:url';`,
  `import { dirname as __l2xDirname } from 'node:path';`,
  `globalThis.require ??= __l2xRequire(import.meta.url);`,
  `globalThis.__filename ??= __l2xPath(import.meta.url);`,
  `globalThis.__dirname ??= __l2xDirname(__l2xPath(import.meta.url));`,
  `process.env.L2X_ROOT ??= process.env.INIT_CWD ?? process.cwd();`,
].join('\n');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: {
    main: join(root, 'apps/sweeper/src/main.ts'),
    worker: join(root, 'libs/runner/src/worker.ts'),
    'list-adapters': join(root, 'libs/runner/src/list-adapters.ts'),
    'bench-model': join(root, 'libs/model/bench/train-step.bench.ts'),
    'bench-sweeper': join(root, 'apps/sweeper/bench/throughput.bench.ts'),
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true, // the entries share one copy of TensorFlow.js and the rest
  chunkNames: '[name]-[hash]', // beside the entries: code that finds files by __dirname finds them in one folder
  banner: { js: banner },
  loader: { '.node': 'copy' },
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'react-devtools-core'],
  plugins: [sqliteAddon],
  logLevel: 'warning',
  legalComments: 'none',
});

// Files the code finds at run time beside itself: the wasm binaries, and Dawn where the webgpu package looks.
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
for (const file of readdirSync(join(wasmDir, 'dist')).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, 'dist', file), join(out, file));
const dawn = join(dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${process.arch}`);
cpSync(dawn, join(out, 'dist', `${process.platform}-${process.arch}`), { recursive: true });
if (existsSync(ADDON_PATH)) copyFileSync(ADDON_PATH, join(out, ADDON_FILE));
else console.log(`the native product kernel is not built (${relative(root, ADDON_PATH)}): the bundle's trials will run on wasm's own kernels`);
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module', private: true }, null, 2) + '\n');

function sizeOf(path: string): number {
  return statSync(path).isDirectory() ? readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0) : statSync(path).size;
}
const mib = sizeOf(out) / 2 ** 20;
console.log(`${relative(root, out)}: ${mib.toFixed(1)} MiB`);
if (mib >= LIMIT_MIB) throw new Error(`the bundle is ${mib.toFixed(1)} MiB, over the ${LIMIT_MIB} MiB limit`);
