import type { Logger } from '../../core/index.ts';
import type { CgroupManager } from '../cgroups/index.ts';
import type { LinuxResources, Spec } from '../spec/index.ts';
import type { ContainerRecord } from '../state/index.ts';

/** Where a verb's warnings go (the CLI writes them to --log and stderr). */
export type Warn = (message: string) => void;

export interface CgroupTarget {
  id: string;
  /** `linux.cgroupsPath` as given (create) or as resolved at create (later verbs). */
  cgroupsPath?: string;
  systemd?: boolean;
}

/** The container's cgroup manager; the cgroups module loads only for verbs that need it. */
export async function cgroupManagerFor(target: CgroupTarget, warn?: Warn): Promise<CgroupManager> {
  const { createCgroupManager } = await import('../cgroups/index.ts');
  return createCgroupManager({
    cgroupsPath: target.cgroupsPath,
    containerId: target.id,
    systemd: target.systemd === true,
    log: warn ? warningLogger(warn) : undefined,
  });
}

/**
 * The manager of an existing container: its cgroup path was resolved at create (a systemd
 * `slice:prefix:name` became a directory path), so it is used as is.
 */
export function recordCgroup(record: ContainerRecord, warn?: Warn): Promise<CgroupManager> {
  return cgroupManagerFor({ id: record.id, cgroupsPath: record.cgroupsPath }, warn);
}

/** The resources create applies: the spec's, with allow rules for the device nodes the spec creates. */
export async function createResources(spec: Spec): Promise<LinuxResources> {
  const { allowRulesForDevices } = await import('../cgroups/index.ts');
  const resources = spec.linux?.resources ?? {};
  return {
    ...resources,
    devices: [...allowRulesForDevices(spec.linux?.devices ?? []), ...(resources.devices ?? [])],
  };
}

/** Kills whatever is left in the cgroup and removes it in every hierarchy. */
export async function removeCgroup(manager: CgroupManager): Promise<void> {
  await manager.killAll(9).catch(() => undefined);
  await manager.destroy();
}

function warningLogger(warn: Warn): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg) => warn(msg),
    error: (msg) => warn(msg),
    child: () => logger,
  };
  return logger;
}
