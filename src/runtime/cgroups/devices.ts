import { BerthError } from '../../core/index.ts';
import type { Device, DeviceCgroupRule } from '../spec/index.ts';

/**
 * Rules every container gets after its own (runc's AllowedDevices): mknod of any device, the
 * standard character devices, ptys. /dev/net/tun is not included, as in runc 1.2.
 */
export const defaultAllowedDevices: readonly DeviceCgroupRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
];

/** Allow rules for the device nodes a config creates (`linux.devices`), as runc adds them. */
export function allowRulesForDevices(devices: readonly Device[]): DeviceCgroupRule[] {
  return devices
    .filter((d) => d.type === 'c' || d.type === 'b' || d.type === 'u')
    .map((d) => ({
      allow: true,
      type: d.type === 'b' ? 'b' : 'c',
      major: d.major,
      minor: d.minor,
      access: 'rwm',
    }));
}

/** The full ordered rule list applied to a container: deny all, its rules, then the defaults. */
export function effectiveDeviceRules(rules: readonly DeviceCgroupRule[] | undefined): DeviceCgroupRule[] {
  const list = [...(rules ?? [])];
  for (const rule of list) validateDeviceRule(rule);
  return [{ allow: false, access: 'rwm' }, ...list, ...defaultAllowedDevices];
}

function validateDeviceRule(rule: DeviceCgroupRule): void {
  const access = rule.access ?? 'rwm';
  const bad =
    !/^[rwm]{1,3}$/.test(access) ||
    new Set(access).size !== access.length ||
    (rule.type !== undefined && !['a', 'b', 'c'].includes(rule.type)) ||
    (rule.major !== undefined && (!Number.isInteger(rule.major) || rule.major < -1)) ||
    (rule.minor !== undefined && (!Number.isInteger(rule.minor) || rule.minor < -1));
  if (bad) {
    throw new BerthError({
      code: 'ERR_RUNTIME_CGROUP_DEVICE_RULE',
      category: 'InvalidArgument',
      message: `invalid device cgroup rule ${JSON.stringify(rule)}`,
      hint: "type is a, b or c; major/minor are integers (-1 or absent for any); access is some of 'rwm'",
    });
  }
}

/** The v1 `devices.allow`/`devices.deny` line for a rule: `c 1:3 rwm`, `a *:* rwm`. */
export function deviceRuleLine(rule: DeviceCgroupRule): string {
  const type = rule.type ?? 'a';
  const num = (n: number | undefined): string => (n === undefined || n < 0 ? '*' : String(n));
  return `${type} ${num(rule.major)}:${num(rule.minor)} ${rule.access ?? 'rwm'}`;
}
