/** What routes know of the daemon that serves them. */
export interface ApiContext {
  /** The state directory whose stores the daemon serves (content, images, …). */
  stateDir: string;
}

/** The REST API's version: bumped with each change listed in docs/reference/api-changes.md. */
export const API_VERSION = '0.4.0';
