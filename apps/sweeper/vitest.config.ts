import { defineConfig } from 'vitest/config';

// The CLI tests start real processes (tsx, worker processes, TensorFlow.js): seconds each, more on a busy machine.
export default defineConfig({ test: { testTimeout: 60_000 } });
