import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFixture, makeBundle, type RuntimeFixture, runtime } from './fixture.ts';

// The receiving end of --console-socket, as containerd's shim does it: accept one connection,
// take the pty master from SCM_RIGHTS, and copy what the container writes to stdout.
const RECEIVER = `
import array, os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
conn, _ = srv.accept()
fds = array.array('i')
msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(fds.itemsize))
fds.frombytes(anc[0][2][:fds.itemsize])
print('name=' + msg.decode(), flush=True)
out = b''
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode())
`;

describe('berth-runtime console socket', () => {
  let fx: RuntimeFixture;
  before(() => {
    fx = createFixture();
  });
  after(() => fx.cleanup());

  it('sends the pty master over --console-socket and makes the pty the controlling terminal', async () => {
    const socketPath = join(fx.dir, 'console.sock');
    const receiver = spawn('python3', ['-c', RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    receiver.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const done = new Promise((resolve) => receiver.on('close', resolve));
    try {
      for (let i = 0; i < 500 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 10));
      const bundle = makeBundle(
        fx,
        ['sh', '-c', 'tty; stty size; echo via-console > /dev/console; echo done'],
        (spec) => {
          spec.process.terminal = true;
          spec.process.consoleSize = { height: 33, width: 101 };
        },
      );
      const r = runtime(fx.root, 'run', '--console-socket', socketPath, '--bundle', bundle, 'tty');
      assert.equal(r.status, 0, r.stderr);
      await done;
      assert.match(output, /^name=\/dev\/pts\/\d+\n/);
      // /dev/console is the pty (runc binds the slave there), so what goes to it reaches the caller.
      assert.match(output, /\/dev\/pts\/0\r\n33 101\r\nvia-console\r\ndone\r\n/);
    } finally {
      receiver.kill();
    }
  });

  it('refuses terminal: true without --console-socket', () => {
    const bundle = makeBundle(fx, ['true'], (spec) => {
      spec.process.terminal = true;
    });
    const r = runtime(fx.root, 'create', '--bundle', bundle, 'notty');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /process\.terminal is true but no --console-socket was given/);
  });
});
