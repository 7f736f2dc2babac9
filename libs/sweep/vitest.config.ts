// The workspace's `@l2x/*` imports resolve through tsconfig.base.json's paths (npm does not link the
// workspaces into node_modules here), so vitest gets the same map as aliases, exact names only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { compilerOptions } = JSON.parse(readFileSync(`${root}tsconfig.base.json`, 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export default defineConfig({
  resolve: {
    alias: Object.entries(compilerOptions.paths).map(([name, [target]]) => ({
      find: new RegExp(`^${escape(name)}$`),
      replacement: `${root}${target}`,
    })),
  },
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
