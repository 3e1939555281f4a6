// Entry point of `bin/berth`: runs the CLI and sets the exit code.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
