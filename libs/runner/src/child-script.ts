/**
 * How the sweeper starts its own child processes (the worker, the adapter listing): the entry's bundled `.js`
 * beside the running code when it runs from `sweeper:bundle`'s folder, else the entry's `.ts` through tsx.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The script and Node flags that start `entry` as a child process, from the workspace or from the bundle. */
export function childScript(entry: 'worker' | 'list-adapters'): { script: string; execArgv: string[] } {
  const bundled = fileURLToPath(new URL(`./${entry}.js`, import.meta.url));
  if (existsSync(bundled)) return { script: bundled, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { script: fileURLToPath(new URL(`./${entry}.ts`, import.meta.url)), execArgv: ['--import', tsx] };
}
