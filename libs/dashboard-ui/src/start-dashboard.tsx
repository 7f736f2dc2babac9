/**
 * Starting the dashboard in a terminal: from the dashboard CLI, and from the sweeper, which shows it in the
 * terminal where a sweep runs while it writes the same database through its own connection.
 */
import { render } from 'ink';
import { ResultsReader } from '@l2x/store';
import { Dashboard } from './Dashboard.tsx';

export interface StartDashboardOptions {
  /** The results database (a SQLite path or a postgres:// URL); opened read-only (unless `reader` is given). */
  dbPath: string;
  /** The sweep to show; the latest one otherwise. A named sweep that does not exist yet is waited for. */
  sweep?: string;
  /**
   * A reader to use instead of opening `dbPath` (it is not closed on exit). It must be a connection of its own:
   * the dashboard notices changes through `PRAGMA data_version`, which only counts other connections' commits
   * (with a shared connection it still rereads every 5 s).
   */
  reader?: ResultsReader;
  /** Whether `q` and Ctrl-C close the dashboard (default true). With false, only `onQuit` is called. */
  exitOnQuit?: boolean;
  /**
   * Called on `q` and on Ctrl-C. While the dashboard runs, the terminal is in raw mode and Ctrl-C arrives as a
   * key, not as SIGINT: a sweeper that shows the dashboard gets its Ctrl-C here (once per press).
   */
  onQuit?: () => void;
  /** Streams (tests); the process's by default. */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Poll interval in ms (at most 1000). */
  pollMs?: number;
}

export interface DashboardHandle {
  /** Resolves when the dashboard closed (q, Ctrl-C with exitOnQuit, or unmount()). */
  waitUntilExit(): Promise<void>;
  /** Closes the dashboard and gives the terminal back. */
  unmount(): void;
  /** Reads the store once more, draws that as the last frame (the sweep's end state), then closes the dashboard. */
  finish(): Promise<void>;
}

/**
 * Renders the live dashboard. Throws the store's one-line UserError when `dbPath` is missing, not a results
 * database, or from a newer schema (when no `reader` is given).
 */
export async function startDashboard(options: StartDashboardOptions): Promise<DashboardHandle> {
  const ownReader = options.reader === undefined;
  const reader = options.reader ?? (await ResultsReader.open(options.dbPath));
  let closed = false;
  const close = async () => {
    if (ownReader && !closed) {
      closed = true;
      await reader.close();
    }
  };
  const refresh: { current: (() => Promise<void>) | undefined } = { current: undefined };
  const instance = render(
    <Dashboard
      refresh={refresh}
      reader={reader}
      sweep={options.sweep}
      onQuit={options.onQuit}
      exitOnQuit={options.exitOnQuit ?? true}
      pollMs={options.pollMs}
    />,
    {
      // Only the streams given: an undefined one would replace Ink's default (the process's).
      ...(options.stdout && { stdout: options.stdout }),
      ...(options.stdin && { stdin: options.stdin }),
      ...(options.stderr && { stderr: options.stderr }),
      // q and Ctrl-C are handled by the dashboard so that onQuit hears both.
      exitOnCtrlC: false,
    },
  );
  const exited = instance.waitUntilExit().then(
    () => close(),
    async (error: unknown) => {
      await close();
      throw error;
    },
  );
  return {
    waitUntilExit: () => exited,
    unmount: () => {
      instance.unmount();
    },
    finish: async () => {
      // The last read, drawn (committed; unmounting flushes Ink's pending frame), then the terminal back.
      await refresh.current?.();
      instance.unmount();
    },
  };
}
