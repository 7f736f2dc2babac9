/** What a run records about where it ran: git commit and dirty flag, TensorFlow.js version. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

export function runEnvironment(cwd: string): { gitCommit: string | null; gitDirty: boolean | null; tfjsVersion: string | null } {
  const gitCommit = git(['rev-parse', 'HEAD'], cwd);
  const status = gitCommit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], cwd);
  let tfjsVersion: string | null = null;
  try {
    tfjsVersion = (createRequire(import.meta.url)('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  } catch {
    tfjsVersion = null;
  }
  return { gitCommit, gitDirty: status === null ? null : status.length > 0, tfjsVersion };
}
