import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BerthError } from '../../../core/index.ts';
import { parseVerbArgs } from '../args.ts';
import type { Verb } from '../verb.ts';

export const verb: Verb = {
  usage: 'spec [--bundle DIR]',
  summary: 'Write a starting config.json into the bundle directory.',
  async run(ctx) {
    const { values } = parseVerbArgs('spec', ctx.argv, {
      bundle: { type: 'string', short: 'b', default: '.' },
      rootless: { type: 'boolean' },
    });
    const path = join(resolve(ctx.cwd, values.bundle as string), 'config.json');
    if (existsSync(path)) {
      throw new BerthError({
        code: 'ERR_RUNTIME_SPEC_EXISTS',
        category: 'AlreadyExists',
        message: `${path} already exists`,
        hint: 'remove it first',
      });
    }
    const { defaultSpec } = await import('../../spec/index.ts');
    writeFileSync(path, `${JSON.stringify(defaultSpec({ rootless: values.rootless === true }), null, 2)}\n`);
    return 0;
  },
};
