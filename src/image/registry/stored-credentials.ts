// Reading what `berth login` stored, apart from CredentialStore: `berth pull` through berthd
// reads one registry's credentials with a single synchronous read, before its request, without
// loading fs/promises, crypto or the atomic writer.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
import type { Credentials } from './auth.ts';

/** The auth file's shape: Docker's `config.json` (`{"auths": {host: {auth: base64(user:pass)}}}`). */
export interface AuthFile {
  auths: Record<string, { auth?: string }>;
}

/** Where `berth login` keeps credentials: $BERTH_CONFIG_DIR, $XDG_CONFIG_HOME/berth or ~/.config/berth, file auth.json. */
export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.BERTH_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'berth');
  return join(dir, 'auth.json');
}

/** The credentials stored for `registry` in the auth file at `path`, if any (one synchronous read). */
export function storedCredentials(
  registry: string,
  path: string = defaultAuthFile(),
): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  return credentialsIn(parseAuthFile(text, path), registry);
}

/** The auth file's text as an AuthFile; a file that is not JSON is ERR_IMAGE_CREDENTIALS_CORRUPT. */
export function parseAuthFile(text: string, path: string): AuthFile {
  try {
    const doc = JSON.parse(text) as AuthFile;
    return { ...doc, auths: typeof doc.auths === 'object' && doc.auths !== null ? doc.auths : {} };
  } catch (err) {
    throw new BerthError({
      code: 'ERR_IMAGE_CREDENTIALS_CORRUPT',
      category: 'FailedPrecondition',
      message: `credentials file ${path} is not valid JSON`,
      hint: 'fix or delete the file, then log in again',
      cause: err,
    });
  }
}

/** The user name and password of `registry`'s entry, if it has a well-formed one. */
export function credentialsIn(file: AuthFile, registry: string): Credentials | undefined {
  const entry = file.auths[registry];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
