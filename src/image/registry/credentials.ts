import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isErrno } from '../../core/index.ts';
// Only the atomic-write part of content/, not the content store.
import { writeFileAtomic } from '../content/atomic.ts';
import type { Credentials } from './auth.ts';
import { type AuthFile, credentialsIn, defaultAuthFile, parseAuthFile } from './stored-credentials.ts';

export { defaultAuthFile };

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
    return credentialsIn(await this.load(), registry);
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
    return parseAuthFile(text, this.path);
  }

  private async save(file: AuthFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await chmod(dirname(this.path), 0o700);
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  }
}
