/** Runs the runc-compatible `berth-runtime` command line and returns the exit code. */
export { runtimeMain, streamsOutput } from './main.ts';
