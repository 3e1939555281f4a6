// Entry point of `bin/berth-runtime`.
import { runtimeMain } from './main.ts';

process.exitCode = await runtimeMain(process.argv.slice(2));
