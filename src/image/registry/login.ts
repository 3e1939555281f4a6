import type { Credentials } from './auth.ts';
import { RegistryClient } from './client.ts';
import type { CredentialStore } from './credentials.ts';
import type { HttpTransport } from './http.ts';

export interface LoginOptions {
  registry: string;
  credentials: Credentials;
  store: CredentialStore;
  insecureRegistries?: readonly string[];
  timeoutMs?: number;
  /** HTTP implementation (default node:http/https). */
  transport?: HttpTransport;
}

/** Checks `credentials` against the registry, then stores them. */
export async function loginRegistry(options: LoginOptions): Promise<void> {
  const client = new RegistryClient({
    registry: options.registry,
    credentials: options.credentials,
    insecureRegistries: options.insecureRegistries,
    timeoutMs: options.timeoutMs,
    transport: options.transport,
  });
  await client.ping();
  // A bearer registry accepts /v2/ only with a token, and the token server checks the password.
  await client.ping();
  await options.store.set(options.registry, options.credentials);
}
