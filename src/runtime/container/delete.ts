import { BerthError } from '../../core/index.ts';
import type { ContainerRecord } from '../state/index.ts';
import { containerStatus, isInitAlive, type StateStore } from '../state/index.ts';
import { recordCgroup, removeCgroup } from './cgroup.ts';
import { specState } from './create.ts';
import { runHooks } from './hooks.ts';
import { wrongState } from './wrong-state.ts';

/** `delete`: removes a stopped (or created) container; `force` kills a running one first. Returns warnings. */
export async function deleteContainer(store: StateStore, id: string, force = false): Promise<string[]> {
  let record: ContainerRecord;
  try {
    record = store.load(id);
  } catch (err) {
    if (!(err instanceof BerthError) || err.code !== 'ERR_RUNTIME_CONTAINER_NOT_FOUND') throw err;
    // As runc: a directory without state (an aborted create) goes; with --force, absence is success.
    store.remove(id);
    if (force) return [];
    throw err;
  }
  const status = containerStatus(record, store.fifoPath(id));
  if ((status === 'running' || status === 'paused') && !force) {
    throw wrongState('delete', id, status, `stop it first or use 'berth-runtime delete --force ${id}'`);
  }
  if (status !== 'stopped') await killAndWait(record);
  return destroy(store, record);
}

/**
 * Releases what the container holds: every process left in its cgroup is killed and the cgroup
 * removed, poststop hooks run (their failures are warnings), the state goes. A cgroup that cannot
 * be removed is reported after the state is gone, as runc does.
 */
export async function destroy(store: StateStore, record: ContainerRecord): Promise<string[]> {
  const warnings: string[] = [];
  let cgroupError: unknown;
  try {
    await removeCgroup(await recordCgroup(record, (w) => warnings.push(w)));
  } catch (err) {
    cgroupError = err;
  }
  try {
    await runHooks('poststop', record.spec.hooks?.poststop, specState(record, 'stopped'));
  } catch (err) {
    warnings.push((err as Error).message);
  }
  store.remove(record.id);
  if (cgroupError !== undefined) throw cgroupError;
  return warnings;
}

async function killAndWait(record: ContainerRecord): Promise<void> {
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch {}
  try {
    await (await recordCgroup(record)).killAll(9);
  } catch {}
  for (let i = 0; i < 5000 && isInitAlive(record); i++) await new Promise((r) => setTimeout(r, 1));
}
