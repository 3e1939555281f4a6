import type { Command, CommandEntry } from '../command.ts';

// Each command's module is imported only when that command runs: `berth version` should not
// pay for loading the image store, the registry client and the runtime.
const image = () => import('./image.ts');
// `berth pull` through berthd must not load the image module: its command has its own module.
const pull = async () => (await import('./image-pull.ts')).imagePullCommand;

/** Docker's short form of an image verb (`berth pull` for `berth image pull`). */
function imageShortForm(name: string, summary: string): CommandEntry {
  return {
    name,
    summary,
    load: async () => findCommand((await image()).imageShortCommands, name),
  };
}

function findCommand(commands: Command[], name: string): Command {
  const command = commands.find((c) => c.name === name);
  if (!command) throw new Error(`command ${name} is listed but not defined`);
  return command;
}

/** Every `berth` verb, in the order `berth --help` lists them. */
export const commandEntries: CommandEntry[] = [
  {
    name: 'version',
    summary: 'Show the Berth version and the Node.js it runs on',
    load: async () => (await import('./version.ts')).versionCommand,
  },
  {
    name: 'doctor',
    summary: 'Check the host for everything Berth uses',
    load: async () => (await import('./doctor.ts')).doctorCommand,
  },
  {
    name: 'image',
    summary:
      'Manage images (pull, push, ls, rm, inspect, history, tag, prune, login, logout, save, load, import, build-base, build)',
    load: async () => (await image()).imageCommand,
    subcommands: { pull },
  },
  { name: 'pull', summary: 'Pull an image from a registry', load: pull },
  imageShortForm('push', 'Push an image to a registry'),
  imageShortForm('images', 'List images in the store'),
  imageShortForm('rmi', 'Remove images'),
  imageShortForm('history', "Show an image's history: the step that made each layer"),
  imageShortForm('tag', 'Give an image another name'),
  imageShortForm('login', 'Log in to a registry'),
  imageShortForm('logout', 'Forget the credentials stored for a registry'),
  imageShortForm('save', 'Save images to a docker-save archive or an OCI layout'),
  imageShortForm('load', 'Load images from a docker-save archive or an OCI layout'),
  imageShortForm('import', 'Create an image from a root filesystem tarball'),
  imageShortForm('build-base', 'Build a base image locally: busybox or debian'),
  {
    name: 'build',
    summary: 'Build an image from a Containerfile or Dockerfile',
    load: async () => (await import('./build.ts')).buildCommand,
  },
  {
    name: 'run',
    summary: 'Run a command in a new container from an image (removed when it exits)',
    load: async () => (await import('./run.ts')).runCommand,
  },
  {
    name: 'runtime',
    summary: 'OCI runtime with the runc command line (create, start, state, kill, delete, run, exec, …)',
    load: async () => (await import('./runtime.ts')).runtimeCommand,
  },
];
