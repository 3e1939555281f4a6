import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { type Credentials, loginRegistry, parseReference } from '../../image/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { imageContext, REGISTRY_OPTIONS, STORE_HELP, stringValue, usage } from './image-context.ts';

/** `https://index.docker.io/v1/` → `docker.io`; `localhost:5000/` → `localhost:5000`. */
function registryName(input: string | undefined): string {
  if (input === undefined) return 'docker.io';
  const host = input.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return parseReference(`${host}/x`).registry;
}

export const imageLoginCommand: Command = {
  name: 'login',
  summary: 'Log in to a registry (credentials are checked, then stored with mode 0600)',
  usage: 'image login [-u USER] [-p PASSWORD | --password-stdin] [REGISTRY]',
  description:
    'Credentials go to $BERTH_CONFIG_DIR/auth.json (default ~/.config/berth/auth.json). REGISTRY defaults to docker.io.',
  options: {
    ...REGISTRY_OPTIONS,
    username: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    'password-stdin': { type: 'boolean' },
  },
  optionHelp: {
    ...STORE_HELP,
    username: 'user name',
    password: 'password (visible to ps; prefer --password-stdin)',
    'password-stdin': 'read the password from stdin',
  },
  async run(ctx: CommandContext) {
    const registry = registryName(ctx.positionals[0]);
    const image = imageContext(ctx);
    const credentials = await readCredentials(ctx);
    await loginRegistry({
      registry,
      credentials,
      store: image.credentials,
      insecureRegistries: image.insecureRegistries,
      timeoutMs: image.timeoutMs,
    });
    const data = { registry, username: credentials.username, file: image.credentials.path };
    return { data, render: () => `Login succeeded for ${credentials.username} at ${registry}\n` };
  },
};

export const imageLogoutCommand: Command = {
  name: 'logout',
  summary: 'Forget the credentials stored for a registry',
  usage: 'image logout [REGISTRY]',
  options: {},
  async run(ctx: CommandContext) {
    const registry = registryName(ctx.positionals[0]);
    const removed = await imageContext(ctx).credentials.remove(registry);
    return {
      data: { registry, removed },
      render: () => (removed ? `Removed credentials for ${registry}\n` : `Not logged in to ${registry}\n`),
    };
  },
};

async function readCredentials(ctx: CommandContext): Promise<Credentials> {
  let username = stringValue(ctx, 'username');
  let password = stringValue(ctx, 'password');
  if (ctx.values['password-stdin'] === true) {
    if (password !== undefined)
      throw usage('login: --password and --password-stdin exclude each other', 'login');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if ((username === undefined || password === undefined) && process.stdin.isTTY) {
    username ??= await prompt('Username: ', false);
    password ??= await prompt('Password: ', true);
  }
  if (!username || !password)
    throw usage('login: a user name and password are needed (-u, -p or --password-stdin)', 'login');
  return { username, password };
}

async function prompt(question: string, secret: boolean): Promise<string> {
  process.stderr.write(question);
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  muted = secret;
  try {
    return await rl.question('');
  } finally {
    rl.close();
    if (secret) process.stderr.write('\n');
  }
}
