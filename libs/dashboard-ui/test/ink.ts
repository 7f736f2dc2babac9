/** Helpers for ink-testing-library: resize the fake terminal, wait for a frame, check a frame fits. */
import type { render } from 'ink-testing-library';
import { vi } from 'vitest';

type App = ReturnType<typeof render>;

/** Gives the fake terminal a size and tells Ink (and the dashboard) it changed. */
export function resize(app: App, columns: number, rows = 24): void {
  Object.defineProperty(app.stdout, 'columns', { configurable: true, get: () => columns });
  Object.defineProperty(app.stdout, 'rows', { configurable: true, get: () => rows });
  app.stdout.emit('resize');
}

/** Waits until `check` holds for the last frame (or fails with that frame). */
export function waitForFrame(app: App, check: (frame: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return vi.waitFor(
    () => {
      const frame = app.lastFrame() ?? '';
      if (!check(frame)) throw new Error(`no frame matched in ${timeoutMs} ms; last frame:\n${frame}`);
      return frame;
    },
    { timeout: timeoutMs, interval: 10 },
  );
}

/** The widest line of a frame, in columns (every glyph the dashboard draws is one column wide). */
export const widest = (frame: string) => Math.max(...frame.split('\n').map((line) => [...line].length));
export const height = (frame: string) => frame.split('\n').length;
