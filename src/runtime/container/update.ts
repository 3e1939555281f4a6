import type { LinuxResources } from '../spec/index.ts';
import { containerStatus, type StateStore } from '../state/index.ts';
import { recordCgroup, type Warn } from './cgroup.ts';
import { wrongState } from './wrong-state.ts';

/**
 * `update`: applies new limits to a container's cgroup and remembers them. Device rules are not
 * changed by an update (as with runc), so a running container never loses a device.
 */
export async function updateContainer(
  store: StateStore,
  id: string,
  resources: LinuxResources,
  warn?: Warn,
): Promise<void> {
  const record = store.load(id);
  const status = containerStatus(record, store.fifoPath(id));
  if (status === 'stopped' || status === 'creating') throw wrongState('update', id, status);
  const { devices: _ignored, ...limits } = resources;
  await (await recordCgroup(record, warn)).applyResources(limits);
  const linux = record.spec.linux ?? {};
  store.save({
    ...record,
    spec: { ...record.spec, linux: { ...linux, resources: mergeResources(linux.resources ?? {}, limits) } },
  });
}

/** The container's resources after an update: each given section's fields replace the old ones. */
export function mergeResources(old: LinuxResources, update: LinuxResources): LinuxResources {
  const merged: Record<string, unknown> = { ...old };
  for (const [key, value] of Object.entries(update)) {
    const before = merged[key];
    const isSection =
      value !== null && typeof value === 'object' && !Array.isArray(value) && typeof before === 'object';
    merged[key] = isSection ? { ...(before as object), ...(value as object) } : value;
  }
  return merged as LinuxResources;
}
