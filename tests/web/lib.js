// Shared by the browser tests of phr serve (tests/web/*.spec.js, run by
// `node --test`): a scratch clinic made as tests/integration/lib.sh makes
// one (authority, pinned; clinic key and certificate; trust bundle;
// register), staff accounts, `phr serve` on a free loopback port, the
// system Chromium through playwright-core, and a raw HTTP client for the
// security checks a browser would not make.
//
// Environment (set by tests/web/meson.build): PHR_BIN, the phr-testclock
// binary; PHR_SOURCE_ROOT, the checkout. PHR_NOW fixes the clock as in the
// integration tests.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  throw new Error('playwright-core is not installed: run "npm ci" in tests/web (./run test does it, with ' +
    'PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)');
}

const SRC = process.env.PHR_SOURCE_ROOT || path.resolve(__dirname, '../..');
const PHR = path.resolve(process.env.PHR_BIN || path.join(SRC, 'build/cli/phr-testclock'));
const CHROMIUM = process.env.PHR_CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'staff password 1';
// The staff of every scratch clinic: name -> role.
const STAFF = {
  'Clara Clerk': 'clerk',
  'Nadia K.': 'clinician',
  'Adam Admin': 'admin',
};

function baseEnv(dir) {
  return {
    ...process.env,
    PHR_PASSPHRASE: 'correct horse battery staple',
    PHR_NOW: process.env.PHR_NOW || '2025-06-15',
    PHR_TRUST_DIR: path.join(dir, 'installation'),
    PHR_USER_PASSWORD: PASSWORD,
    LANG: 'C.UTF-8',
  };
}

// Runs phr with args in dir; returns stdout. Throws with stderr on failure
// unless allowed lists the exit status.
function phr(clinic, args, { allowed = [0], input } = {}) {
  try {
    return execFileSync(PHR, args, { cwd: clinic.dir, env: clinic.env, input, encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    if (allowed.includes(e.status)) return e.stdout;
    throw new Error(`phr ${args.join(' ')}: exit ${e.status}\n${e.stderr}`);
  }
}

// A scratch clinic with its register and staff. options.staff: {name: role}.
function makeClinic(options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phr-web-'));
  const clinic = { dir, env: baseEnv(dir), db: path.join(dir, 'clinic.db') };
  // Under AddressSanitizer: fontconfig (booklets, report PDFs) keeps a cache
  // for the life of the process, which LeakSanitizer would report at exit
  // (as in tests/integration/print.sh); that alone is suppressed.
  fs.writeFileSync(path.join(dir, 'lsan.supp'), 'leak:libfontconfig.so\n');
  clinic.env.LSAN_OPTIONS = `suppressions=${path.join(dir, 'lsan.supp')}:print_suppressions=0` +
    (process.env.LSAN_OPTIONS ? `:${process.env.LSAN_OPTIONS}` : '');
  const run = (args) => phr(clinic, args);
  run(['authority', 'init', '--name', 'Demo Health Authority', '--country', 'GR', '--out', 'auth.key']);
  run(['trust', 'pin', 'auth.pub']);
  run(['clinic', 'init', '--name', 'Lesvos Reception Clinic', '--country', 'GR', '--out', 'c1.key']);
  run(['authority', 'certify', '--key', 'auth.key', '--clinic', 'c1.pub', '--days', '365', '--from', '2025-01-01',
    '--out', 'c1.cert']);
  run(['trust', 'build', '--key', 'auth.key', '--cert', 'c1.cert', '--out', 'trust.bundle']);
  run(['register', 'init', clinic.db]);
  const staff = options.staff || STAFF;
  for (const [name, role] of Object.entries(staff)) run(['register', 'user', 'add', clinic.db, name, '--role', role]);
  clinic.staff = staff;
  clinic.phr = (args, opts) => phr(clinic, args, opts);
  clinic.file = (name) => path.join(dir, name);
  return clinic;
}

// Starts phr serve for the clinic on a free port; resolves with its URL.
function serve(clinic, extra = []) {
  return new Promise((resolve, reject) => {
    const args = ['serve', '--register', clinic.db, '--key', 'c1.key', '--cert', 'c1.cert', '--trust', 'trust.bundle',
      '--listen', '127.0.0.1:0', ...extra];
    const child = spawn(PHR, args, { cwd: clinic.dir, env: clinic.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`phr serve did not start:\n${err}`)); },
      20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))\//);
      if (m && !clinic.url) {
        clearTimeout(timer);
        clinic.url = m[1];
        clinic.port = Number(m[2]);
        clinic.server = child;
        resolve(clinic.url);
      }
    });
    child.stderr.on('data', (d) => { err += d; clinic.serverLog = err; });
    child.on('exit', (code) => {
      clinic.exitCode = code;
      if (!clinic.url) { clearTimeout(timer); reject(new Error(`phr serve exited ${code}:\n${err}`)); }
    });
  });
}

// Stops the server (SIGTERM, then SIGKILL after 10 s); resolves with its exit code.
function stop(clinic) {
  return new Promise((resolve) => {
    const child = clinic.server;
    if (!child || child.exitCode !== null) return resolve(child ? child.exitCode : null);
    const t = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.on('exit', (code) => { clearTimeout(t); resolve(code); });
    child.kill('SIGTERM');
  });
}

function cleanup(clinic) {
  if (clinic && clinic.dir && !process.env.PHR_WEB_KEEP) fs.rmSync(clinic.dir, { recursive: true, force: true });
}

// The end of a spec: closes the browser (if any), stops the server and
// removes its directory; the server must have exited 0 (SIGTERM handled).
async function shutdown(br, clinic) {
  if (br) await br.close();
  if (clinic) {
    const code = await stop(clinic);
    cleanup(clinic);
    assert.equal(code, 0, `phr serve exit status (log:\n${clinic.serverLog})`);
  }
}

// The system Chromium, headless. --no-sandbox: CI runs as root.
// --no-proxy-server: loopback only, whatever proxy the machine has.
async function browser(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--no-proxy-server', '--disable-dev-shm-usage', ...extraArgs] });
}

// Signs in on a fresh page of a new context; returns the page.
async function login(br, clinic, name, { lang } = {}) {
  const context = await br.newContext({ locale: lang || 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${clinic.url}/login${lang ? `?lang=${lang}` : ''}`);
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#login')]);
  return page;
}

// A raw request (no browser): {status, headers, body}. opts: method, body
// (string or Buffer), headers, cookie, timeout.
function request(clinic, urlPath, opts = {}) {
  return new Promise((resolve, reject) => {
    const headers = { ...(opts.headers || {}) };
    if (opts.cookie) headers.Cookie = opts.cookie;
    let body = opts.body;
    if (body !== undefined && !Buffer.isBuffer(body)) body = Buffer.from(body);
    if (body) headers['Content-Length'] = body.length;
    const req = http.request({ host: '127.0.0.1', port: clinic.port, path: urlPath, method: opts.method || 'GET',
      headers, timeout: opts.timeout || 30000, agent: opts.agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'), raw: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// Signs in over raw HTTP; returns {cookie, csrf} for request().
async function rawLogin(clinic, name, agent) {
  const form = await request(clinic, '/login', { agent });
  const token = form.body.match(/name="login_token" value="([0-9a-f]+)"/)[1];
  const loginCookie = form.headers['set-cookie'].map((c) => c.split(';')[0]).join('; ');
  const body = new URLSearchParams({ login_token: token, name, password: PASSWORD }).toString();
  const res = await request(clinic, '/login', { method: 'POST', body, cookie: loginCookie, agent,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  if (res.status !== 303) throw new Error(`sign-in as ${name}: status ${res.status}\n${res.body}`);
  const session = res.headers['set-cookie'].find((c) => c.startsWith('phr_session='));
  const cookie = session.split(';')[0];
  const page = await request(clinic, '/scan', { cookie, agent });
  const m = page.body.match(/name="csrf" value="([0-9a-f]+)"/);
  return { cookie, csrf: m ? m[1] : null };
}

// The register's audit as JSON rows (phr register audit --format json).
function audit(clinic) {
  return JSON.parse(clinic.phr(['register', 'audit', '--format', 'json', clinic.db]));
}

module.exports = { SRC, PHR, PASSWORD, STAFF, makeClinic, serve, stop, cleanup, shutdown, browser, login, request, rawLogin,
  audit, phr };
