// OCI whiteouts (image-spec layer.md): `.wh.<name>` deletes <name> from lower layers and
// `.wh..wh..opq` hides every lower entry of its directory. For an overlay upper directory they
// become what overlayfs reads (a 0/0 char device; trusted.overlay.opaque=y); when flattening
// layers into one directory they delete for real.
import { readdirSync } from 'node:fs';
import type { RootModel } from './root-model.ts';
import type { UnpackSyscalls } from './syscalls.ts';

/** `overlay`: write overlayfs whiteouts into an upper dir; `flatten`: delete from the tree below. */
export type WhiteoutMode = 'overlay' | 'flatten';

const PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const S_IFCHR = 0o020000;

/** True for any name reserved by the whiteout convention. */
export function isWhiteout(base: string): boolean {
  return base.startsWith(PREFIX);
}

export interface WhiteoutTarget {
  model: RootModel;
  /** Resolved directory holding the whiteout. */
  dir: string;
  base: string;
  mode: WhiteoutMode;
  syscalls: UnpackSyscalls;
}

/** Applies one whiteout entry; returns false when it had nothing to act on. */
export function applyWhiteout(target: WhiteoutTarget): boolean {
  const { model, dir, base } = target;
  if (base === OPAQUE) return opaque(target);
  // Other `.wh..wh.` names are aufs bookkeeping (e.g. `.wh..wh.plnk`): meaningless here.
  if (base.startsWith(`${PREFIX}${PREFIX}`)) return false;
  const name = base.slice(PREFIX.length);
  const rel = dir === '' ? name : `${dir}/${name}`;
  // A whiteout hides lower layers only, never an entry of its own layer.
  if (model.createdHere(rel)) return false;
  const existing = model.lookup(rel);
  if (existing !== undefined) model.remove(rel);
  if (target.mode === 'flatten') return existing !== undefined;
  target.syscalls.mknod(model.abs(rel), S_IFCHR, 0, 0);
  model.set(rel, { kind: 'other', created: true });
  return true;
}

function opaque(target: WhiteoutTarget): boolean {
  const { model, dir } = target;
  if (target.mode === 'overlay') {
    target.syscalls.lsetxattr(model.abs(dir), 'trusted.overlay.opaque', Buffer.from('y'));
    return true;
  }
  let removed = false;
  for (const name of readdirSync(model.abs(dir))) {
    const rel = dir === '' ? name : `${dir}/${name}`;
    if (model.createdHere(rel)) continue;
    model.remove(rel);
    removed = true;
  }
  return removed;
}
