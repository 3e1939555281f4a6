import { BerthError } from '../../core/index.ts';

/** Docker Hub's name in references differs from the host that serves its API. */
const API_HOSTS: Record<string, string> = { 'docker.io': 'registry-1.docker.io' };

/** The host[:port] that serves the registry API for a reference's registry name. */
export function apiHost(registry: string): string {
  return API_HOSTS[registry] ?? registry;
}

/** The host without port or IPv6 brackets: `localhost:5000` → `localhost`, `[::1]:5000` → `::1`. */
export function hostName(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

/** True for localhost, 127.0.0.0/8 and ::1: plain http to these never leaves the machine. */
export function isLoopback(hostPort: string): boolean {
  const host = hostName(hostPort).toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** True when `registry` may be reached over plain http: it is on loopback or listed as insecure. */
export function allowsHttp(registry: string, insecure: readonly string[]): boolean {
  if (isLoopback(registry)) return true;
  return insecure.some((entry) => entry === registry || entry === hostName(registry) || entry === '*');
}

/** Refuses an http URL to a host that is not loopback or insecure. */
export function checkScheme(url: URL, insecure: readonly string[]): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && allowsHttp(url.host, insecure)) return;
  throw new BerthError({
    code: 'ERR_IMAGE_REGISTRY_INSECURE',
    category: 'FailedPrecondition',
    message: `refusing ${url.protocol.replace(':', '')} to ${url.host}: only https is allowed for registries not on loopback`,
    hint: `if you trust the network, mark it insecure: --insecure-registry ${url.host} (or BERTH_INSECURE_REGISTRIES)`,
  });
}
