/** Entry point of `npx nx run dashboard:start [--db PATH] [--sweep NAME]`. */
import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2), { stderr: process.stderr, cwd: process.env.INIT_CWD ?? process.cwd() });
