// npm's install script for this package: compiles the native product kernel with node-gyp from the sources in
// native/. It never fails the install: without a C++ compiler (or when the build breaks) it says so in one line,
// writes the reason to build/unavailable.txt, and TensorFlow.js's own WebAssembly kernels are used instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');

/** npm's bundled node-gyp (npm names it in npm_config_node_gyp), else the one beside this node's npm. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  return candidates.find((path) => path && existsSync(path));
}

/** The headers of the running node, when its installation has them: then node-gyp downloads nothing. */
function nodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function fail(reason) {
  mkdirSync(build, { recursive: true });
  rmSync(join(build, 'Release/l2x_kernels.node'), { force: true }); // an older build must not pass for this one
  writeFileSync(join(build, 'unavailable.txt'), `${reason}\n`);
  const first = reason.split('\n').find((line) => line.trim()) ?? reason;
  console.warn(`@l2x/native-kernels: not built (${first.trim()}); trials will use TensorFlow.js's WebAssembly kernels. To build it: install g++ and make, then npm rebuild @l2x/native-kernels`);
  process.exit(0);
}

/** The compiler node-gyp's make will call: $CXX, else g++ (Linux) or c++. */
function compilerWorks() {
  const cxx = process.env.CXX || (process.platform === 'linux' ? 'g++' : 'c++');
  const probe = spawnSync(cxx, ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' });
  return probe.status === 0 ? null : cxx;
}

const missing = process.platform === 'win32' ? null : compilerWorks();
if (missing) fail(`no working C++ compiler (\`${missing} --version\` fails)`);
const gyp = nodeGyp();
if (!gyp) fail('node-gyp not found (it comes with npm)');
const result = spawnSync(process.execPath, [gyp, 'rebuild', ...nodeDir()], { cwd: root, encoding: 'utf8' });
if (result.error) fail(result.error.message);
if (result.status !== 0) {
  const errors = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /error|not found|No such file/i.test(line));
  fail(errors.slice(0, 5).join('\n') || `node-gyp exited with ${result.status}`);
}
console.log('@l2x/native-kernels: built the native product kernel');
