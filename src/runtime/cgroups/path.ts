import { posix } from 'node:path';
import { BerthError } from '../../core/index.ts';

export interface CgroupPathOptions {
  cgroupsPath?: string;
  containerId: string;
  systemd?: boolean;
}

/** A container's cgroup path: absolute (from each hierarchy's root) or relative to the runtime's own cgroup. */
export interface CgroupPath {
  path: string;
  relative: boolean;
}

function invalid(cgroupsPath: string, why: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_CGROUP_PATH',
    category: 'InvalidArgument',
    message: `invalid cgroupsPath ${JSON.stringify(cgroupsPath)}: ${why}`,
    hint: 'use an absolute path like /berth/<id>, or slice:prefix:name with --systemd-cgroup',
  });
}

/**
 * Resolves `linux.cgroupsPath` like runc: absent → `/berth/<id>`; absolute → as is; relative →
 * under the runtime's own cgroup; with systemd, `slice:prefix:name` → `/<slice path>/<prefix>-<name>.scope`
 * (the cgroupfs layout systemd itself would use, so it works where systemd is not running).
 */
export function resolveCgroupPath(options: CgroupPathOptions): CgroupPath {
  const given = options.cgroupsPath ?? '';
  if (given.includes('\0')) throw invalid(given, 'contains a NUL byte');
  if (options.systemd === true) return { path: systemdPath(given, options.containerId), relative: false };
  if (given === '') return { path: `/berth/${options.containerId}`, relative: false };
  if (given.split('/').includes('..')) throw invalid(given, "'..' would escape the cgroup root");
  const path = posix.normalize(given).replace(/\/+$/, '');
  if (path === '' || path === '.') throw invalid(given, 'names the root cgroup');
  return { path: path.startsWith('/') ? path : path.replace(/^\.\//, ''), relative: !path.startsWith('/') };
}

function systemdPath(given: string, containerId: string): string {
  const parts = given === '' ? ['system.slice', 'berth', containerId] : given.split(':');
  if (parts.length !== 3) throw invalid(given, "with systemd it must be 'slice:prefix:name'");
  const [slice = '', prefix = '', name = ''] = parts;
  if (name === '' || name.includes('/') || prefix.includes('/')) throw invalid(given, 'bad unit name');
  const unit = name.endsWith('.slice') ? name : `${prefix === '' ? '' : `${prefix}-`}${name}.scope`;
  const parent = expandSlice(slice === '' ? 'system.slice' : slice, given);
  if (unit.endsWith('.slice')) return expandSlice(unit, given);
  return posix.join(parent, unit);
}

/** `a-b-c.slice` → `/a.slice/a-b.slice/a-b-c.slice`, as systemd lays slices out. */
export function expandSlice(slice: string, given = slice): string {
  if (!slice.endsWith('.slice') || slice.includes('/')) throw invalid(given, `bad slice name ${slice}`);
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const part of base.split('-')) {
    if (part === '') throw invalid(given, `bad slice name ${slice}`);
    prefix = prefix === '' ? part : `${prefix}-${part}`;
    path += `/${prefix}.slice`;
  }
  return path;
}
