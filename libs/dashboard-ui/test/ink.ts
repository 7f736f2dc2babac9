/** Helpers for ink-testing-library: resize the fake terminal, wait for a frame, check a frame fits. */
import type { render } from 'ink-testing-library';

type App = ReturnType<typeof render>;

/** Gives the fake terminal a size and tells Ink (and the dashboard) it changed. */
export function resize(app: App, columns: number, rows = 24): void {
  Object.defineProperty(app.stdout, 'columns', { configurable: true, get: () => columns });
  Object.defineProperty(app.stdout, 'rows', { configurable: true, get: () => rows });
  app.stdout.emit('resize');
}

/** Waits until `check` holds for the last frame (or fails with that frame). */
export async function waitForFrame(app: App, check: (frame: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = app.lastFrame() ?? '';
    if (check(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`no frame matched in ${timeoutMs} ms; last frame:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

/** The widest line of a frame, in columns (every glyph the dashboard draws is one column wide). */
export const widest = (frame: string) => Math.max(...frame.split('\n').map((line) => [...line].length));
export const height = (frame: string) => frame.split('\n').length;
