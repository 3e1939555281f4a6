import { commandEntries } from '../commands/index.ts';

/** Loads every command's module (and the verbs that load apart from their group) ahead of the first call. */
export async function warmUp(): Promise<void> {
  for (const entry of commandEntries) {
    await entry.load();
    for (const load of Object.values(entry.subcommands ?? {})) await load();
  }
}
