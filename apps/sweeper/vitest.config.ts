import { defineConfig } from 'vitest/config';

// The CLI tests start real processes (tsx, worker processes, TensorFlow.js): seconds each, more on a busy machine.
// With CI set, Ink draws only the last frame, at exit; same-numbers.test.tsx reads the dashboard's live frame.
export default defineConfig({ test: { testTimeout: 60_000, env: { CI: 'false' } } });
