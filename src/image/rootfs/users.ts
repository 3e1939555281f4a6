// USER, --chown and `run -u` names → numeric ids, from the image's own /etc/passwd and /etc/group
// (read inside the root filesystem: a symlinked /etc/passwd cannot point at the host's).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, isErrno } from '../../core/index.ts';
import { resolveInTree } from '../build/context/index.ts';

/** A process's numeric identity; `home` is the user's passwd entry's directory, when it has one. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

/** Makes the error for a name the image does not know (`what`: user or group; `file`: passwd or group). */
export type UnknownNameError = (o: {
  what: 'user' | 'group';
  name: string;
  file: 'passwd' | 'group';
}) => Error;

interface Entry {
  name: string;
  id: number;
  /** passwd: the primary group; group: unused. */
  gid: number;
  /** group: the member list. */
  members: string[];
  /** passwd: the home directory. */
  home?: string;
}

/** `/etc/passwd` or `/etc/group` of the root filesystem, resolved inside it; none is empty. */
function readDb(rootfs: string, file: '/etc/passwd' | '/etc/group'): Entry[] {
  let text: string;
  try {
    const path = resolveInTree({ kind: 'rootfs', root: rootfs }, file, { followFinal: true });
    text = readFileSync(join(rootfs, path), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || isErrno(err, 'EISDIR')) return [];
    throw err;
  }
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!))
    .map((f) => ({
      name: f[0]!,
      id: Number(f[2]),
      gid: file === '/etc/passwd' ? Number(f[3]) || 0 : 0,
      members: file === '/etc/group' ? f[3]!.split(',').filter(Boolean) : [],
      home: file === '/etc/passwd' && f[5] ? f[5] : undefined,
    }));
}

/** Resolves `user[:group]` (names or numbers) as Docker does; `''` is root. */
export function resolveUser(
  rootfs: string,
  spec: string,
  unknown: UnknownNameError = unknownName,
): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd = readDb(rootfs, '/etc/passwd');
  if (userPart === '' && groupPart === undefined) {
    return { uid: 0, gid: 0, additionalGids: [], home: passwd.find((p) => p.id === 0)?.home };
  }
  const groups = readDb(rootfs, '/etc/group');
  const numeric = /^\d+$/.test(userPart);
  const entry = passwd.find((p) => (numeric ? p.id === Number(userPart) : p.name === userPart));
  if (!entry && !numeric) throw unknown({ what: 'user', name: userPart, file: 'passwd' });
  const uid = entry?.id ?? Number(userPart);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const group = groups.find((g) => g.name === groupPart);
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else if (group) gid = group.id;
    else throw unknown({ what: 'group', name: groupPart, file: 'group' });
  }
  const name = entry?.name;
  const additionalGids =
    groupPart === undefined && name !== undefined
      ? groups.filter((g) => g.members.includes(name) && g.id !== gid).map((g) => g.id)
      : [];
  return { uid, gid, additionalGids, home: entry?.home };
}

function unknownName(o: { what: string; name: string; file: string }): Error {
  return new BerthError({
    code: 'ERR_IMAGE_USER_NOT_FOUND',
    category: 'NotFound',
    message: `unable to find ${o.what} '${o.name}': no matching entry in the image's /etc/${o.file}`,
    hint: `use a ${o.what} the image defines, or a numeric id`,
  });
}
