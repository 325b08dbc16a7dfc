/* global console, process */
// Builds the browser app into web/dist when it is missing or older than its sources, so that
// `npm start` on a fresh clone serves it (run as `prestart`, and by the browser tests). Several
// processes may call it at once (jest workers): a lock folder lets one build while others wait.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const web = import.meta.dirname;
const root = path.dirname(web);
const dist = path.join(web, 'dist', 'index.html');
const lock = path.join(web, '.build-lock');
const inputs = [
  path.join(web, 'src'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.mts'),
  path.join(root, 'forms', 'enrolment-application.form'),
];

function newest(p) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((f) => newest(path.join(p, f))));
}

function isStale() {
  const built = fs.statSync(dist, { throwIfNoEntry: false });
  return !built || Math.max(...inputs.map(newest)) > built.mtimeMs;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function takeLock() {
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return;
    } catch {
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      // a build that died long ago leaves its lock behind
      if (st && Date.now() - st.mtimeMs > 10 * 60_000)
        fs.rmSync(lock, { recursive: true, force: true });
      else sleep(500);
    }
  }
}

if (isStale()) {
  let vite;
  try {
    vite = path.join(
      path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
      'bin',
      'vite.js',
    );
  } catch {
    console.warn('web: vite is not installed (npm install without --omit=dev builds the app)');
    process.exit(0);
  }
  takeLock();
  try {
    if (isStale()) {
      console.error('web: building the browser app (web/dist)…');
      const run = spawnSync(
        process.execPath,
        [vite, 'build', '--config', path.join(web, 'vite.config.mts'), '--logLevel', 'warn'],
        {
          cwd: root,
          stdio: 'inherit',
          env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
        },
      );
      if (run.status !== 0) process.exit(run.status ?? 1);
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
