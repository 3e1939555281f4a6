import { closeSync, constants, openSync, readSync, rmSync } from 'node:fs';
import { BerthError, isErrno } from '../../core/index.ts';
import { type ContainerRecord, containerStatus, isInitAlive, type StateStore } from '../state/index.ts';
import { specState } from './create.ts';
import { runHooks } from './hooks.ts';
import { wrongState } from './wrong-state.ts';

/** `start`: releases a created container's init to exec the process; returns poststart hook warnings. */
export async function startContainer(store: StateStore, id: string): Promise<string[]> {
  const record = store.load(id);
  const fifo = store.fifoPath(id);
  const status = containerStatus(record, fifo);
  if (status !== 'created')
    throw wrongState(
      'start',
      id,
      status,
      status === 'stopped' ? `delete it with 'berth-runtime delete ${id}'` : undefined,
    );
  await releaseInit(fifo, record);
  rmSync(fifo, { force: true });
  try {
    await runHooks('poststart', record.spec.hooks?.poststart, specState(record, 'running'));
  } catch (err) {
    // runtime-spec: a failing poststart hook is a warning; the container keeps running.
    return [(err as Error).message];
  }
  return [];
}

/** Opens the exec fifo for reading, which unblocks init, and takes the byte it writes. */
async function releaseInit(fifo: string, record: ContainerRecord): Promise<void> {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    for (let attempt = 0; attempt < 10_000; attempt++) {
      if (readByte(fd, buf)) return;
      // init may have written its byte, exec'd and exited between the two checks: read once more.
      if (!isInitAlive(record)) {
        if (readByte(fd, buf)) return;
        break;
      }
      await new Promise((r) => (attempt < 20 ? setImmediate(r) : setTimeout(r, 1)));
    }
  } finally {
    closeSync(fd);
  }
  throw new BerthError({
    code: 'ERR_RUNTIME_START_FAILED',
    category: 'FailedPrecondition',
    message: `container '${record.id}' init (pid ${record.pid}) exited before it could be started`,
    hint: `delete it with 'berth-runtime delete ${record.id}' and create it again`,
  });
}

function readByte(fd: number, buf: Buffer): boolean {
  try {
    return readSync(fd, buf, 0, 1, null) === 1;
  } catch (err) {
    if (isErrno(err, 'EAGAIN')) return false;
    throw err;
  }
}
