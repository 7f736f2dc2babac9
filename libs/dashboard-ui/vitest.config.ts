import { defineConfig } from 'vitest/config';

// The test files share one module graph per worker: loading Ink, React and the store once rather than per file is
// most of this suite's time. Tests restore what they mock and unmount what they render.
// CI runs two projects at once on two cores, next to worker processes that train: frames can take seconds there.
export default defineConfig({
  test: {
    isolate: false,
    testTimeout: 30_000,
    // With CI set, Ink draws only the last frame, at exit; these tests watch the live frames, as a user does.
    env: { CI: 'false' },
  },
});
