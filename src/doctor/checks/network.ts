import type { RunResult } from '../../vm/index.ts';
import {
  type CheckContext,
  type CheckResult,
  commandFailure,
  fail,
  firstLine,
  ok,
  toolEnv,
} from '../check.ts';

interface LinkKind {
  id: string;
  title: string;
  /** `ip` arguments that create one, inside the throwaway namespace. */
  create: string[];
  hint: string;
}

export const LINK_KINDS: LinkKind[] = [
  {
    id: 'network.bridge',
    title: 'bridge',
    create: ['link', 'add', 'berth-probe0', 'type', 'bridge'],
    hint: 'the kernel needs CONFIG_BRIDGE (modprobe bridge)',
  },
  {
    id: 'network.veth',
    title: 'veth',
    create: ['link', 'add', 'berth-probe0', 'type', 'veth', 'peer', 'name', 'berth-probe1'],
    hint: 'the kernel needs CONFIG_VETH (modprobe veth)',
  },
  {
    id: 'network.tun',
    title: 'tun/tap',
    create: ['tuntap', 'add', 'dev', 'berth-probe0', 'mode', 'tap'],
    hint: 'the kernel needs CONFIG_TUN and /dev/net/tun (modprobe tun)',
  },
];

const NETNS_NOTE = 'in a throwaway network namespace';

// Container networking can be turned off (--network none), so none of these is required.
async function checkLink(ctx: CheckContext, kind: LinkKind): Promise<CheckResult> {
  const result = await ctx.host.run('unshare', ['--net', 'ip', ...kind.create], {
    timeoutMs: 10_000,
    env: toolEnv(ctx),
  });
  const base = { id: kind.id, title: kind.title, required: false };
  if (result.code === 0) return ok({ ...base, detail: `created ${NETNS_NOTE}` });
  return fail({ ...base, detail: commandFailure('unshare --net ip', result), hint: kind.hint });
}

/** Creates a bridge, a veth pair and a tap device, each in its own throwaway network namespace. */
export function checkLinks(ctx: CheckContext): Promise<CheckResult>[] {
  return LINK_KINDS.map((kind) => checkLink(ctx, kind));
}

// The NAT rule Berth's networks need, tried for real.
const NFT_SCRIPT = `nft add table inet berth_probe &&
nft add chain inet berth_probe post '{ type nat hook postrouting priority 100; }' &&
nft add rule inet berth_probe post masquerade && nft --version`;
const IPTABLES_SCRIPT = 'iptables -t nat -A POSTROUTING -j MASQUERADE && iptables --version';

export interface NetfilterEvidence {
  nft: RunResult;
  iptables: RunResult;
}

export function netfilterVerdict(evidence: NetfilterEvidence): CheckResult {
  const base = { id: 'netfilter', title: 'nftables/iptables', required: false };
  const describe = (name: string, r: RunResult) =>
    r.code === 0 ? `${firstLine(r.stdout)} works` : commandFailure(name, r);
  const detail = `${describe('nft', evidence.nft)}; ${describe('iptables', evidence.iptables)}`;
  const facts = { nft: evidence.nft.code === 0, iptables: evidence.iptables.code === 0 };
  if (facts.nft || facts.iptables) return ok({ ...base, detail: `${detail} (NAT, ${NETNS_NOTE})`, facts });
  const hint = 'install nftables or iptables (apt-get install nftables); without it there is no NAT';
  return fail({ ...base, detail, hint, facts });
}

/** Adds a masquerade rule with nft and with iptables, each in a throwaway network namespace. */
export async function checkNetfilter(ctx: CheckContext): Promise<CheckResult> {
  const run = (script: string) =>
    ctx.host.run('unshare', ['--net', 'sh', '-c', script], { timeoutMs: 10_000, env: toolEnv(ctx) });
  const [nft, iptables] = await Promise.all([run(NFT_SCRIPT), run(IPTABLES_SCRIPT)]);
  return netfilterVerdict({ nft, iptables });
}
