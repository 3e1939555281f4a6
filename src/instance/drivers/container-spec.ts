// The OCI spec of a `berth run` container: Docker's defaults (capabilities, seccomp, masked
// paths) with the image's process, a writable root, the short id as hostname, and a network
// namespace of its own (loopback only) unless the host's is asked for.
import { existsSync } from 'node:fs';
import type { ResolvedUser } from '../../image/index.ts';
import { defaultSpec, type Spec } from '../../runtime/spec/index.ts';
import { containerEnv, type ProcessConfig } from '../process-config.ts';

/** `none`: its own network namespace with only loopback; `host`: the host's. */
export type NetworkMode = 'none' | 'host';

export interface ContainerSpecOptions {
  rootfs: string;
  process: ProcessConfig;
  user: ResolvedUser;
  hostname: string;
  network: NetworkMode;
}

/** The runtime spec for a foreground container. */
export function containerSpec(o: ContainerSpecOptions): Spec {
  const spec = defaultSpec({ args: o.process.args, terminal: false });
  spec.root = { path: o.rootfs, readonly: false };
  spec.hostname = o.hostname;
  const process = spec.process!;
  process.env = containerEnv(o.process.env, { hostname: o.hostname, home: o.user.home });
  process.cwd = o.process.cwd;
  process.user = { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids };
  if (o.network === 'host') useHostNetwork(spec);
  return spec;
}

/** Puts a container in the host's network namespace, resolving names as the host does (`--network host`). */
export function useHostNetwork(spec: Spec): void {
  const linux = spec.linux!;
  linux.namespaces = (linux.namespaces ?? []).filter((n) => n.type !== 'network');
  if (existsSync('/etc/resolv.conf')) {
    spec.mounts!.push({
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: '/etc/resolv.conf',
      options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'],
    });
  }
}
