import { chmod, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
// Only the atomic-write part of content/: the CLI reads credentials before a daemon pull
// without loading the content store or the registry client.
import { writeFileAtomic } from '../content/atomic.ts';
import type { Credentials } from './auth.ts';

interface AuthFile {
  auths: Record<string, { auth?: string }>;
}

/** Where `berth login` keeps credentials: $BERTH_CONFIG_DIR, $XDG_CONFIG_HOME/berth or ~/.config/berth, file auth.json. */
export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.BERTH_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'berth');
  return join(dir, 'auth.json');
}

/**
 * Registry credentials in Docker's `config.json` shape (`{"auths": {host: {auth: base64(user:pass)}}}`),
 * mode 0600 in a 0700 directory, replaced atomically.
 */
export class CredentialStore {
  readonly path: string;

  constructor(path: string = defaultAuthFile()) {
    this.path = path;
  }

  /** The credentials stored for `registry`, if any. */
  async get(registry: string): Promise<Credentials | undefined> {
    const entry = (await this.load()).auths[registry];
    if (!entry?.auth) return undefined;
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  async set(registry: string, credentials: Credentials): Promise<void> {
    const file = await this.load();
    file.auths[registry] = {
      auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'),
    };
    await this.save(file);
  }

  /** Forgets `registry`; false when nothing was stored. */
  async remove(registry: string): Promise<boolean> {
    const file = await this.load();
    if (!(registry in file.auths)) return false;
    delete file.auths[registry];
    await this.save(file);
    return true;
  }

  /** Registries with stored credentials. */
  async registries(): Promise<string[]> {
    return Object.keys((await this.load()).auths).sort();
  }

  private async load(): Promise<AuthFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { auths: {} };
      throw err;
    }
    try {
      const doc = JSON.parse(text) as AuthFile;
      return { ...doc, auths: typeof doc.auths === 'object' && doc.auths !== null ? doc.auths : {} };
    } catch (err) {
      throw new BerthError({
        code: 'ERR_IMAGE_CREDENTIALS_CORRUPT',
        category: 'FailedPrecondition',
        message: `credentials file ${this.path} is not valid JSON`,
        hint: 'fix or delete the file, then log in again',
        cause: err,
      });
    }
  }

  private async save(file: AuthFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await chmod(dirname(this.path), 0o700);
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  }
}
