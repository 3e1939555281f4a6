// Type checks for config.json values that name the JSON path of whatever is wrong.
import { BerthError } from '../../core/index.ts';

export type Json = unknown;
export type JsonObject = Record<string, unknown>;

export function specInvalid(path: string, problem: string, hint?: string): BerthError {
  return new BerthError({
    code: 'ERR_RUNTIME_SPEC_INVALID',
    category: 'InvalidArgument',
    message: `config.json: ${path}: ${problem}`,
    hint: hint ?? `fix ${path} in config.json; see the OCI runtime-spec (config.md, config-linux.md)`,
  });
}

const describe = (value: Json): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`;

export function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function object(value: Json, path: string): JsonObject {
  if (!isObject(value)) throw specInvalid(path, `must be an object, got ${describe(value)}`);
  return value;
}

export function string(value: Json, path: string): string {
  if (typeof value !== 'string') throw specInvalid(path, `must be a string, got ${describe(value)}`);
  return value;
}

export function boolean(value: Json, path: string): boolean {
  if (typeof value !== 'boolean') throw specInvalid(path, `must be true or false, got ${describe(value)}`);
  return value;
}

export function array(value: Json, path: string): Json[] {
  if (!Array.isArray(value)) throw specInvalid(path, `must be an array, got ${describe(value)}`);
  return value;
}

export function stringArray(value: Json, path: string): string[] {
  const items = array(value, path);
  for (const [i, item] of items.entries()) string(item, `${path}[${i}]`);
  return items as string[];
}

export interface IntRange {
  min?: number;
  max?: number;
}

export const UINT32: IntRange = { min: 0, max: 0xffffffff };
export const UINT64: IntRange = { min: 0, max: 2 ** 64 - 1 };
export const INT64: IntRange = { min: -(2 ** 63), max: 2 ** 63 - 1 };

export function integer(value: Json, path: string, range: IntRange = INT64): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw specInvalid(path, `must be an integer, got ${describe(value)}`);
  }
  if (range.min !== undefined && value < range.min)
    throw specInvalid(path, `must be at least ${range.min}, got ${value}`);
  if (range.max !== undefined && value > range.max)
    throw specInvalid(path, `must be at most ${range.max}, got ${value}`);
  return value;
}

export function absolutePath(value: Json, path: string): string {
  const text = string(value, path);
  if (!text.startsWith('/')) throw specInvalid(path, `must be an absolute path, got ${JSON.stringify(text)}`);
  return text;
}

export function oneOf<T extends string>(value: Json, path: string, allowed: readonly T[]): T {
  const text = string(value, path);
  if (!(allowed as readonly string[]).includes(text)) {
    throw specInvalid(path, `unknown value ${JSON.stringify(text)} (expected one of ${allowed.join(', ')})`);
  }
  return text as T;
}

/** The JSON path of `key` inside `path` ('' is the document itself). */
export function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Checks `obj[key]` with `check` when present (undefined means absent; null is an error). */
export function optional(
  obj: JsonObject,
  key: string,
  path: string,
  check: (value: Json, path: string) => unknown,
): void {
  if (obj[key] !== undefined) check(obj[key], child(path, key));
}

/** Checks `obj[key]` with `check`, which must be present. */
export function required(
  obj: JsonObject,
  key: string,
  path: string,
  check: (value: Json, path: string) => unknown,
): void {
  if (obj[key] === undefined) throw specInvalid(child(path, key), 'is required');
  check(obj[key], child(path, key));
}

/** Checks each element of an array with `check`. */
export function each(check: (value: Json, path: string) => unknown): (value: Json, path: string) => void {
  return (value, path) => {
    for (const [i, item] of array(value, path).entries()) check(item, `${path}[${i}]`);
  };
}

export function stringMap(value: Json, path: string): void {
  for (const [key, item] of Object.entries(object(value, path))) string(item, `${path}.${key}`);
}

/** A uid/gid mapping: containerID, hostID and a size of at least 1. */
export function checkIdMapping(value: Json, path: string): void {
  const mapping = object(value, path);
  required(mapping, 'containerID', path, (v, p) => integer(v, p, UINT32));
  required(mapping, 'hostID', path, (v, p) => integer(v, p, UINT32));
  required(mapping, 'size', path, (v, p) => integer(v, p, { min: 1, max: 0xffffffff }));
}
