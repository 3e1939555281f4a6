import { BerthError } from '../../core/index.ts';
import type { Descriptor, ImageIndex, Platform } from './types.ts';

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
};

/** The platform Berth runs images for on this host (`linux/amd64` here). */
export function hostPlatform(): Platform {
  return {
    os: 'linux',
    architecture: ARCH_ALIASES[process.arch] ?? (process.arch === 'x64' ? 'amd64' : process.arch),
  };
}

/** Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`. */
export function parsePlatform(text: string): Platform {
  const [os, arch, variant, ...rest] = text.split('/');
  if (!os || !arch || rest.length > 0 || variant === '') {
    throw new BerthError({
      code: 'ERR_IMAGE_PLATFORM_INVALID',
      category: 'InvalidArgument',
      message: `invalid platform '${text}': expected os/architecture[/variant]`,
      hint: "e.g. 'linux/amd64' or 'linux/arm64/v8'",
    });
  }
  return normalizePlatform({ os, architecture: arch, ...(variant ? { variant } : {}) });
}

/** Lower-cases and folds aliases (`x86_64` → `amd64`; arm64's default variant is `v8`). */
export function normalizePlatform(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  const out: Platform = { os: p.os.toLowerCase(), architecture };
  let variant = p.variant?.toLowerCase();
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  return out;
}

/** `linux/amd64`, `linux/arm/v7`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * Picks the entry of `index` for `wanted`: os and architecture must match; a wanted variant
 * must match; without one, an entry without variant (or the lowest) is preferred. Attestation
 * entries (`unknown/unknown`) never match.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform = hostPlatform()): Descriptor {
  const want = normalizePlatform(wanted);
  const candidates = index.manifests.filter((entry) => {
    if (!entry.platform) return false;
    const have = normalizePlatform(entry.platform);
    if (have.os !== want.os || have.architecture !== want.architecture) return false;
    return want.variant === undefined || have.variant === want.variant;
  });
  candidates.sort((a, b) => variantRank(a.platform) - variantRank(b.platform));
  const chosen = candidates[0];
  if (chosen) return chosen;
  const offered = index.manifests
    .filter((e) => e.platform && e.platform.os !== 'unknown')
    .map((e) => formatPlatform(normalizePlatform(e.platform as Platform)));
  throw new BerthError({
    code: 'ERR_IMAGE_PLATFORM_NOT_FOUND',
    category: 'NotFound',
    message: `the image has no manifest for ${formatPlatform(want)}; it offers ${offered.join(', ') || 'no platforms'}`,
    hint: 'pick one of the offered platforms with --platform, or use an image built for this host',
  });
}

function variantRank(p: Platform | undefined): number {
  const variant = p?.variant ? normalizePlatform(p).variant : undefined;
  if (!variant) return 0;
  const level = /^v(\d+)$/.exec(variant);
  return level ? Number(level[1]) : 100;
}
