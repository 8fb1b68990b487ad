import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * openpi's websocket policy server as a Python process on loopback (test/support/openpi_peer.py), for
 * tests of the remote-policy client and of policy runs that take their candidates from it.
 */
const PEER = resolve('test/support/openpi_peer.py');
const PYTHON = process.env.STUDIO_OPENPI_PYTHON ?? resolve('node_modules/.cache/openpi-peer-venv/bin/python');

export function requirePeerPython(): void {
  const probe = existsSync(PYTHON)
    ? spawnSync(PYTHON, ['-c', 'import openpi_client.msgpack_numpy, websockets'], { encoding: 'utf8' })
    : undefined;
  if (probe === undefined || probe.status !== 0) {
    throw new Error(
      `the openpi peer needs Python with openpi-client and websockets at ${PYTHON}, which ${probe === undefined ? 'does not exist' : `cannot import them: ${probe.stderr.trim().split('\n').pop()}`}.\n` +
        'Install it with: npm run test:deps (a venv from test/support/requirements-openpi.txt), or point STUDIO_OPENPI_PYTHON at a Python that has them.',
    );
  }
}

export interface Peer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

export const peers: Peer[] = [];

/** Starts the peer and resolves once it printed the port it listens on (its first stdout line). */
export function startPeer(mode: string, extra: string[] = []): Promise<Peer> {
  const child = spawn(PYTHON, [PEER, '--mode', mode, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolvePeer, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      const { port } = JSON.parse(line) as { port: number };
      const peer = { url: `ws://127.0.0.1:${port}`, child, stderr: () => stderr };
      peers.push(peer);
      resolvePeer(peer);
    });
    child.once('exit', (code) => reject(new Error(`the openpi peer (${mode}) exited (${code}) before listening:\n${stderr}`)));
  });
}

/** Closing stdin ends the peer; resolves on its exit. */
export function stopPeer(peer: Peer): Promise<void> {
  if (peer.child.exitCode !== null || peer.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    peer.child.once('exit', () => resolveStop());
    peer.child.stdin?.end();
  });
}
