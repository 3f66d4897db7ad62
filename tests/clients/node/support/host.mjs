// Starts `target/debug/test-host --fakes --seed-token` (the gateway .wasm with a fake Codex
// backend and a seeded token) and stops it again. TEST_HOST_BIN overrides the binary.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const BIN = process.env.TEST_HOST_BIN ?? join(REPO, 'target/debug/test-host');

export async function startGateway(...vars) {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} not found: run \`cargo build -p test-host --bins\` (scripts/client-tests.sh does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gateway-node-'));
  const args = ['--fakes', '--seed-token', '--kv', join(dir, 'kv.db')];
  for (const v of vars) args.push('--var', v);
  const child = spawn(BIN, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-8000); });
  const info = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`test-host did not start in 60 s:\n${stderr}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        ok(JSON.parse(out.slice(0, nl)));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`test-host exited with ${code}:\n${stderr}`));
    });
  });
  return {
    ...info,
    baseURL: `${info.gateway_url}/v1`,
    /** Requests the fake backend received (method, path, headers, body text). */
    async upstreamRequests() {
      const res = await fetch(`${info.codex_url}/__fake/requests`);
      return res.json();
    },
    async lastGeneration() {
      const posts = (await this.upstreamRequests()).filter((r) => r.method === 'POST');
      if (posts.length === 0) throw new Error('the fake backend received no POST');
      return posts[posts.length - 1];
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A model id the AI SDK recognises as a GPT-5 reasoning model (so it sends reasoning options
// and `developer` system messages, as it does for real Codex models); the fake backend plays the
// fixture case named after the `@`.
export const model = (c) => `gpt-5.4-codex@${c}`;
