import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BerthError } from '../../core/index.ts';
import type { Mount } from '../spec/index.ts';
import { type CgroupMountContext, cgroupMountSteps } from './cgroup-mount.ts';
import { MS } from './linux.ts';
import { parseMountOptions } from './mount-options.ts';
import { Slot, type Step } from './ops.ts';

export interface MountContext {
  bundle: string;
  /** The container gets a new user namespace: device nodes are bind-mounted, not created. */
  userns: boolean;
  cgroup: CgroupMountContext;
}

const ROOT = Slot.rootfs;

/** Steps that mount one config.json mount under the container's root (before pivot_root). */
export function mountSteps(mount: Mount, ctx: MountContext): Step[] {
  if (!isAbsolute(mount.destination))
    throw specError(`mounts: destination ${mount.destination} is not absolute`);
  const options = parseMountOptions(mount.options);
  if (mount.type === 'cgroup' || mount.type === 'cgroup2')
    return cgroupMountSteps(mount, options, ctx.cgroup);
  if (options.bind || mount.type === 'bind') return bindSteps(mount, ctx);
  const steps: Step[] = [
    { op: 'mkdir', args: [ROOT, mount.destination, 0o755] },
    {
      op: 'mount',
      args: [
        mount.source ?? mount.type ?? '',
        mount.destination,
        mount.type ?? '',
        options.flags,
        options.data,
        ROOT,
      ],
    },
  ];
  return [...steps, ...propagationSteps(mount.destination, options.propagation)];
}

function bindSteps(mount: Mount, ctx: MountContext): Step[] {
  const options = parseMountOptions(mount.options);
  const source = resolveSource(mount.source ?? '', ctx.bundle);
  const isDir = sourceIsDirectory(source, mount.destination);
  const bindFlags = MS.bind | (options.flags & MS.rec);
  const steps: Step[] = [
    isDir
      ? { op: 'mkdir', args: [ROOT, mount.destination, 0o755] }
      : { op: 'mkfile', args: [ROOT, mount.destination] },
    { op: 'mount', args: [source, mount.destination, '', bindFlags, '', ROOT] },
  ];
  const extra = options.flags & ~(MS.bind | MS.rec | MS.remount);
  if (extra !== 0) {
    const flags = MS.bind | MS.remount | (options.flags & ~MS.remount);
    steps.push({ op: 'mount', args: ['', mount.destination, '', flags, '', ROOT] });
  }
  return [...steps, ...propagationSteps(mount.destination, options.propagation)];
}

function propagationSteps(destination: string, propagation: number[]): Step[] {
  return propagation.map((flag) => ({ op: 'mount', args: ['', destination, '', flag, '', ROOT] }));
}

function resolveSource(source: string, bundle: string): string {
  return isAbsolute(source) ? source : join(bundle, source);
}

function sourceIsDirectory(source: string, destination: string): boolean {
  try {
    return statSync(source).isDirectory();
  } catch (err) {
    throw new BerthError({
      code: 'ERR_RUNTIME_MOUNT_SOURCE',
      category: 'NotFound',
      message: `mount source ${source} for ${destination} does not exist`,
      hint: 'create the source path or fix mounts[].source in config.json',
      cause: err,
    });
  }
}

export function specError(message: string, hint = 'fix config.json in the bundle'): BerthError {
  return new BerthError({ code: 'ERR_RUNTIME_SPEC_INVALID', category: 'InvalidArgument', message, hint });
}
