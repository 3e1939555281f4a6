import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Command, formatCommandHelp } from './command.ts';
import { commandEntries } from './commands/index.ts';

const base = { summary: 'Do it', usage: 'demo', run: () => Promise.resolve({ data: null }) };

/** The option rows of a help text: the lines after `Options:`. */
function optionRows(help: string): string[] {
  const lines = help.trimEnd().split('\n');
  return lines.slice(lines.indexOf('Options:') + 1);
}

describe('formatCommandHelp', () => {
  it('aligns every help text two spaces past the longest flag, however long', () => {
    const command: Command = {
      ...base,
      name: 'demo',
      options: {
        'a-rather-long-option-name': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
      },
      optionHelp: { 'a-rather-long-option-name': 'the long one', quiet: 'say less' },
    };
    const rows = optionRows(formatCommandHelp(command));
    assert.deepEqual(rows.slice(0, 2), [
      '      --a-rather-long-option-name <a-rather-long-option-name>  the long one',
      '  -q, --quiet                                                  say less',
    ]);
    assert.equal(rows.at(-1)?.indexOf('show this help'), rows[0]?.indexOf('the long one'));
  });

  it('shows a flag without help text with no trailing spaces', () => {
    const command: Command = { ...base, name: 'demo', options: { bare: { type: 'boolean' } } };
    assert.ok(optionRows(formatCommandHelp(command)).includes('      --bare'));
  });

  it('lists only --help for a passthrough command, whose other flags go on unparsed', () => {
    const command: Command = { ...base, name: 'demo', passthrough: true };
    assert.deepEqual(optionRows(formatCommandHelp(command)), ['  -h, --help  show this help']);
  });

  it('gives every option of every command, and of every subcommand, a help text in one column', async () => {
    const commands: Command[] = [];
    for (const entry of commandEntries) {
      const command = await entry.load();
      commands.push(command, ...(command.subcommands ?? []));
    }
    for (const command of commands) {
      const rows = optionRows(formatCommandHelp(command));
      const column = new Set(rows.map((r) => r.search(/(?<=\S {2,})\S/)));
      assert.equal(column.size, 1, `${command.name}: one help column in\n${rows.join('\n')}`);
      assert.ok(!column.has(-1), `${command.name}: every option has help text in\n${rows.join('\n')}`);
    }
  });
});
