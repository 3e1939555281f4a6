export type { CheckContext, CheckResult, CheckStatus, Host } from './check.ts';
export type { DoctorOptions, DoctorReport } from './doctor.ts';
/** Checks the host for everything Berth uses; `summarizeReport` derives counts and the verdict. */
export { runDoctor, summarizeReport } from './doctor.ts';
/** The real host doctor reads and runs things on. */
export { realHost } from './host.ts';
