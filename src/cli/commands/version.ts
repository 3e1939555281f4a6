import { readFile } from 'node:fs/promises';
import type { Command } from '../command.ts';

interface VersionInfo {
  version: string;
  node: string;
  platform: string;
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'Show the Berth version and the Node.js it runs on',
  usage: 'version [--json]',
  hosted: true,
  async run() {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    const data: VersionInfo = {
      version: String(pkg.version),
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
    };
    return {
      data,
      render: (d: VersionInfo) => `berth ${d.version} (node ${d.node}, ${d.platform})\n`,
    };
  },
};
