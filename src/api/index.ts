export type { Daemon, DaemonOptions } from './daemon.ts';
export { startDaemon } from './daemon.ts';
export type { ApiRequest, ApiResponse, Route } from './router.ts';
export { routes } from './routes/index.ts';
export { createApiServer, handleRequest } from './server.ts';
export { httpStatusFor } from './status.ts';
