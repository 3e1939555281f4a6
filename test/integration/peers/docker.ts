// A private dockerd (Debian's docker.io) with extra OCI runtimes, for tests that drive Berth
// through Docker as users do.
import { join } from 'node:path';
import { removeEmptyCgroups } from '../../fixtures/cgroups.ts';
import { type CommandOutput, capture, type PeerDaemon, startPeerDaemon } from './daemon.ts';

/** Debian's client: /usr/local/bin/docker on these machines is an unrelated newer one. */
const DOCKER_CLIENT = '/usr/bin/docker';

export interface Dockerd extends PeerDaemon {
  /** Runs the docker client against this daemon; never throws on a non-zero exit. */
  docker(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<CommandOutput>;
}

/** Starts dockerd with `runtimes` (name → runc-compatible binary) added. */
export async function startDockerd(runtimes: Record<string, string>): Promise<Dockerd> {
  const socket = (dir: string) => `unix://${join(dir, 'docker.sock')}`;
  const daemon = await startPeerDaemon({
    name: 'dockerd',
    argv: (dir) => [
      'dockerd',
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`,
      `-H=${socket(dir)}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--storage-driver=vfs',
      ...Object.entries(runtimes).map(([name, path]) => `--add-runtime=${name}=${path}`),
    ],
    ready: async (dir) => (await dockerClient(socket(dir), ['version'])).code === 0,
  });
  return {
    ...daemon,
    stop: async () => {
      await daemon.stop();
      removeEmptyCgroups('docker');
    },
    docker: (args, options) => dockerClient(socket(daemon.dir), args, options),
  };
}

function dockerClient(
  host: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CommandOutput> {
  return capture(DOCKER_CLIENT, ['-H', host, ...args], options);
}
