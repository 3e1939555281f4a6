// A private containerd (Debian's containerd 1.6) and its `ctr` client, for tests that drive
// Berth through containerd's runc shim as Kubernetes nodes do.
import { writeFile } from 'node:fs/promises';

import { join } from 'node:path';
import { removeEmptyCgroups } from '../../fixtures/cgroups.ts';
import { type CommandOutput, capture, type PeerDaemon, startPeerDaemon } from './daemon.ts';

export interface Containerd extends PeerDaemon {
  /** Runs `ctr` against this daemon in namespace `berth-test`; never throws on a non-zero exit. */
  ctr(args: string[], options?: { timeoutMs?: number }): Promise<CommandOutput>;
  /** Runs `ctr` with a pseudo-terminal as its stdio (script(1)), for `--tty`. */
  ctrInTerminal(args: string[]): Promise<CommandOutput>;
}

function configToml(dir: string): string {
  return [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",',
    '  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]',
    '[grpc]',
    `  address = "${join(dir, 'containerd.sock')}"`,
    '[ttrpc]',
    `  address = "${join(dir, 'containerd.sock.ttrpc')}"`,
    '',
  ].join('\n');
}

/** Starts containerd with its state in a temp dir. */
export async function startContainerd(): Promise<Containerd> {
  const address = (dir: string) => join(dir, 'containerd.sock');
  const daemon = await startPeerDaemon({
    name: 'containerd',
    prepare: (dir) => writeFile(join(dir, 'config.toml'), configToml(dir)),
    argv: (dir) => ['containerd', '--config', join(dir, 'config.toml')],
    ready: async (dir) => (await ctrClient(address(dir), ['version'])).code === 0,
  });
  const base = ['ctr', '--address', address(daemon.dir), '--namespace', NAMESPACE];
  return {
    ...daemon,
    stop: async () => {
      await daemon.stop();
      removeEmptyCgroups(NAMESPACE);
    },
    ctr: (args, options) => ctrClient(address(daemon.dir), args, options),
    ctrInTerminal: (args) =>
      capture('script', ['-qec', [...base, ...args].map(shellQuote).join(' '), '/dev/null']),
  };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

const NAMESPACE = 'berth-test';

function ctrClient(
  address: string,
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<CommandOutput> {
  return capture('ctr', ['--address', address, '--namespace', NAMESPACE, ...args], options);
}
