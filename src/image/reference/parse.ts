import { BerthError } from '../../core/index.ts';
import { type Digest, isDigest } from '../content/digest.ts';

/** The default registry for names without a host, as Docker does it. */
export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

/** A normalized image reference: `docker.io/library/busybox:latest`, `localhost:5000/a/b@sha256:…`. */
export interface ImageReference {
  /** Registry host, with port when given (`docker.io`, `localhost:5000`, `[::1]:5000`). */
  registry: string;
  /** Repository path inside the registry (`library/busybox`, `a/b`). */
  repository: string;
  tag?: string;
  digest?: Digest;
}

// From the distribution/reference grammar.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME = 255;

/** Parses a Docker-style reference and fills in Docker's defaults (registry, `library/`, `latest`). */
export function parseReference(input: string): ImageReference {
  if (input === '') throw invalid(input, 'it is empty');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const value = rest.slice(at + 1);
    if (!isDigest(value))
      throw invalid(input, `'${value}' is not a digest of the form sha256:<64 lower-case hex>`);
    digest = value;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(input, `tag '${tag}' must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    rest = rest.slice(0, colon);
  }
  const { registry, repository } = splitName(input, rest);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Splits `host/path` by Docker's rule: the first component is a host when it has `.` or `:`, is `localhost`, or has upper case. */
function splitName(input: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isHost =
    slash !== -1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = isHost ? first : DEFAULT_REGISTRY;
  let repository = isHost ? name.slice(slash + 1) : name;
  if (isHost && !DOMAIN.test(registry))
    throw invalid(input, `registry host '${registry}' is not a valid host[:port]`);
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY;
  if (repository === '') throw invalid(input, 'the repository name is empty');
  if (repository !== repository.toLowerCase()) {
    throw invalid(input, `repository name '${repository}' must be lower-case`);
  }
  for (const component of repository.split('/')) {
    if (!COMPONENT.test(component)) {
      throw invalid(
        input,
        component === ''
          ? 'the repository has an empty path component'
          : `path component '${component}' may only hold a-z, 0-9 and single separators (. _ __ -)`,
      );
    }
  }
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  if (`${registry}/${repository}`.length > MAX_NAME)
    throw invalid(input, `the name is longer than ${MAX_NAME} characters`);
  return { registry, repository };
}

/** `docker.io/library/busybox:latest`: the full name, with tag and/or digest. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** `docker.io/library/busybox`: registry and repository, without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The short form people type: `busybox:latest`, `user/app:1`, `localhost:5000/a/b:tag`. */
export function familiarName(ref: ImageReference): string {
  let name = `${ref.registry}/${ref.repository}`;
  if (ref.registry === DEFAULT_REGISTRY) {
    name = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
  }
  return `${name}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The reference's tag or digest, as used in a manifest URL (digest wins). */
export function manifestSelector(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

function invalid(input: string, why: string): BerthError {
  return new BerthError({
    code: 'ERR_IMAGE_REFERENCE_INVALID',
    category: 'InvalidArgument',
    message: `invalid image reference '${input}': ${why}`,
    hint: "use [registry[:port]/]repository[:tag][@sha256:<digest>], e.g. 'busybox', 'localhost:5000/team/app:1.0'",
  });
}
