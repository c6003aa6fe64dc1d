#!/usr/bin/env node
// Installs everything the test suite needs on a machine that has only Node 20 and npm, idempotently:
// pnpm (pinned), the workspace's packages, and the Debian packages of the real test services.
// Usage: node scripts/setup.mjs [--then <pnpm script> ...]
// With --then, runs `pnpm run <script>` afterwards with the same pnpm, so one command does it all.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split(
  '@',
)[1];
// The binaries the real test services need, and the Debian package that provides each.
const SERVICES = [
  ['docker-registry', 'docker-registry'], // CNCF distribution registry (OCI, Helm OCI)
  ['htpasswd', 'apache2-utils'], // bcrypt htpasswd files for the registry's Basic auth
  ['nats-server', 'nats-server'], // NATS notifications
];
const CI = process.env.CI === 'true' || process.env.CI === '1';

const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
};

function findPnpm() {
  const local = join(root, '.tools', 'bin', 'pnpm');
  for (const candidate of [local, 'pnpm']) {
    try {
      const v = execFileSync(candidate, ['--version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      if (v === PNPM_VERSION) return candidate;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

function ensurePnpm() {
  let pnpm = findPnpm();
  if (pnpm) return pnpm;
  log(`installing pnpm@${PNPM_VERSION} into .tools/`);
  run('npm', [
    'install',
    '--global',
    '--prefix',
    join(root, '.tools'),
    `pnpm@${PNPM_VERSION}`,
    '--no-audit',
    '--no-fund',
  ]);
  pnpm = findPnpm();
  if (!pnpm) throw new Error('pnpm was installed but cannot be run');
  return pnpm;
}

function ensureServices() {
  const missing = SERVICES.filter(
    ([bin]) => !has(bin) && !existsSync(`/usr/sbin/${bin}`) && !existsSync(`/usr/bin/${bin}`),
  );
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    const msg = `missing test services: ${pkgs.join(', ')} (install them with apt-get as root)`;
    if (CI) throw new Error(msg);
    log(`${msg}; the tests that need them will fail`);
    return;
  }
  log(`installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}

const pnpm = ensurePnpm();
// Scripts call `pnpm` by name (nested runs, the vitest wrapper): make the pinned one found first.
if (pnpm !== 'pnpm') process.env.PATH = `${dirname(pnpm)}:${process.env.PATH ?? ''}`;
const installArgs = ['install', '--prefer-offline'];
if (CI) installArgs.push('--frozen-lockfile');
run(pnpm, installArgs);
ensureServices();

const thenIndex = process.argv.indexOf('--then');
if (thenIndex !== -1) {
  for (const script of process.argv.slice(thenIndex + 1)) {
    log(`pnpm run ${script}`);
    run(pnpm, ['run', script]);
  }
}
