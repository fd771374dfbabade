// What phr serve refuses, over raw HTTP (no browser): every page and action
// of every route table (phr serve --routes) without a session, with too
// small a role, a POST without its CSRF token; uploads over the size and
// pixel limits; path traversal in asset URLs; escaping; slow clients that
// must not block others; another address without TLS; TLS itself.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const https = require('node:https');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync, spawnSync } = require('node:child_process');
const lib = require('./lib');

let clinic, id, routes;
const ROLE = { public: 0, clerk: 1, clinician: 2, admin: 3 };

before(async () => {
  clinic = lib.makeClinic();
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples/older-man-chronic.json'),
    '--out', 'm.phr', '--register', clinic.db]);
  id = clinic.phr(['inspect', 'm.phr']).match(/[0-9a-f]{32}/)[0];
  routes = execFileSync(lib.PHR, ['serve', '--routes'], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const [method, p, role, flag] = l.split(' ');
    return { method, path: p.replace(/\*$/, p.startsWith('/assets/') ? 'app.css' : id), role: ROLE[role],
      csrf: flag !== 'no-csrf' };
  });
  await lib.serve(clinic);
});
after(async () => {
  if (clinic) {
    assert.equal(await lib.stop(clinic), 0, `phr serve exit status (log:\n${clinic.serverLog})`);
    lib.cleanup(clinic);
  }
});

const form = (fields) => ({ body: new URLSearchParams(fields).toString(),
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });

test('the route list covers the pages', () => {
  for (const p of ['GET /scan', 'POST /scan', 'GET /search', `GET /record/${id}`, `POST /print/${id}`])
    assert.ok(routes.some((r) => `${r.method} ${r.path}` === p), p);
});

test('every page and action is refused without a session', async () => {
  for (const r of routes.filter((x) => x.role > 0)) {
    const res = await lib.request(clinic, r.path, { method: r.method, ...(r.method === 'POST' ? form({ x: '1' }) : {}) });
    if (r.method === 'GET') {
      assert.equal(res.status, 303, `${r.method} ${r.path}`);
      assert.equal(res.headers.location, '/login');
    } else {
      assert.equal(res.status, 401, `${r.method} ${r.path}`);
    }
    assert.ok(!res.body.includes(id) || r.method === 'POST', `${r.path}: nothing of the record`);
  }
  // a made-up session cookie is no session
  const res = await lib.request(clinic, `/record/${id}`, { cookie: `phr_session=${'ab'.repeat(32)}` });
  assert.equal(res.status, 303);
});

test('a role below the route\'s is refused (clerk where a clinician is needed, clinician where an admin is)', async () => {
  const sessions = { 1: await lib.rawLogin(clinic, 'Clara Clerk'), 2: await lib.rawLogin(clinic, 'Nadia K.') };
  let checked = 0;
  for (const r of routes.filter((x) => x.role >= 2)) {
    for (const role of [1, 2].filter((x) => x < r.role)) {
      const s = sessions[role];
      const res = await lib.request(clinic, r.path, { method: r.method, cookie: s.cookie,
        ...(r.method === 'POST' ? form({ csrf: s.csrf }) : {}) });
      assert.equal(res.status, 403, `${r.method} ${r.path} as role ${role}`);
      assert.match(res.body, /Your role does not allow this/);
      checked++;
    }
  }
  assert.ok(checked > 0, 'some routes need more than a clerk');
});

test('every POST without the session\'s CSRF token is refused, and with a wrong one', async () => {
  const s = await lib.rawLogin(clinic, 'Adam Admin');
  for (const r of routes.filter((x) => x.method === 'POST' && x.csrf)) {
    for (const fields of [{}, { csrf: '0'.repeat(64) }, { csrf: s.csrf.slice(0, 63) }]) {
      const res = await lib.request(clinic, r.path, { method: 'POST', cookie: s.cookie, ...form(fields) });
      assert.equal(res.status, 403, `POST ${r.path} ${JSON.stringify(fields)}`);
      assert.match(res.body, /This form has expired or did not come from this application/);
    }
  }
  // the session is still there: signing out with the token works
  const out = await lib.request(clinic, '/logout', { method: 'POST', cookie: s.cookie, ...form({ csrf: s.csrf }) });
  assert.equal(out.status, 303);
  // the login form has its own token: a login posted without it is refused
  const res = await lib.request(clinic, '/login', { method: 'POST',
    ...form({ name: 'Adam Admin', password: lib.PASSWORD }) });
  assert.equal(res.status, 403);
});

function multipart(fields, files) {
  const b = `----phr${Date.now()}`;
  const parts = [];
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.name}"\r\n` +
      `Content-Type: ${f.type}\r\n\r\n`));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(parts), headers: { 'Content-Type': `multipart/form-data; boundary=${b}` } };
}

// A white greyscale PNG of w x h pixels (small on disk, large in pixels).
function bigPng(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(w + 1, 0xff);
  row[0] = 0;
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) row.copy(raw, y * (w + 1));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

test('an upload over the size limit, or a picture over the pixel limit, gets a clear message', async () => {
  const s = await lib.rawLogin(clinic, 'Clara Clerk');
  const big = multipart({ csrf: s.csrf }, [{ field: 'images', name: 'huge.jpg', type: 'image/jpeg',
    data: Buffer.alloc(21 << 20, 0x41) }]);
  const res = await lib.request(clinic, '/scan', { method: 'POST', cookie: s.cookie, ...big });
  assert.equal(res.status, 413);
  assert.match(res.body, /The upload is too large: at most 20 MB per file/);
  // a body announced larger than the whole limit is refused the same way
  const png = bigPng(8000, 6000); // 48 million pixels, a few hundred kB
  assert.ok(png.length < 1 << 20);
  const wide = multipart({ csrf: s.csrf }, [{ field: 'images', name: 'wide.png', type: 'image/png', data: png }]);
  const res2 = await lib.request(clinic, '/scan', { method: 'POST', cookie: s.cookie, ...wide });
  assert.equal(res2.status, 200);
  assert.match(res2.body, /wide\.png: the picture is too large \(at most 40 million pixels\)/);
  // not a picture at all
  const junk = multipart({ csrf: s.csrf }, [{ field: 'images', name: 'notes.txt', type: 'image/png',
    data: Buffer.from('hello') }]);
  const res3 = await lib.request(clinic, '/scan', { method: 'POST', cookie: s.cookie, ...junk });
  assert.match(res3.body, /notes\.txt: not a picture this app reads \(PNG or JPEG\)/);
});

test('path traversal in asset URLs is refused; the assets are served with their types', async () => {
  const ok = await lib.request(clinic, '/assets/app.css');
  assert.equal(ok.status, 200);
  assert.match(ok.headers['content-type'], /^text\/css/);
  for (const p of ['/assets/../../../../etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd',
    '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/app.css/../../../../etc/passwd', '/assets/',
    '/assets/..', '/assets/app.css%00.png', '/../../etc/passwd', `/assets/${'../'.repeat(40)}etc/shadow`]) {
    const res = await lib.request(clinic, p);
    assert.notEqual(res.status, 200, p);
    assert.ok(!/root:/.test(res.body), `${p}: no file of the machine`);
  }
});

test('every answer carries the security headers; values are escaped', async () => {
  const s = await lib.rawLogin(clinic, 'Clara Clerk');
  const res = await lib.request(clinic, `/search?go=1&name=${encodeURIComponent('<script>alert(1)</script>')}`,
    { cookie: s.cookie });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-security-policy'], /script-src 'self'/);
  assert.match(res.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(!res.body.includes('<script>alert(1)</script>'));
  assert.ok(res.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  // no inline script anywhere (the CSP would block it)
  assert.ok(!/<script>/.test(res.body));
});

test('slow clients do not block others', async () => {
  // 20 connections that send a request line and then one header byte a second
  const slow = [];
  for (let i = 0; i < 20; i++) {
    const sock = net.connect(clinic.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.write('GET /login HTTP/1.1\r\nHost: x\r\n');
    slow.push(sock);
  }
  const timer = setInterval(() => slow.forEach((s) => s.write('X')), 1000);
  // and one upload whose body trickles in
  const s = await lib.rawLogin(clinic, 'Clara Clerk');
  const up = net.connect(clinic.port, '127.0.0.1');
  up.on('error', () => {});
  up.write(`POST /scan HTTP/1.1\r\nHost: x\r\nCookie: ${s.cookie}\r\nContent-Type: multipart/form-data; boundary=zz\r\n` +
    'Content-Length: 1000000\r\n\r\n--zz\r\n');
  try {
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const res = await lib.request(clinic, `/search?go=1&name=Mykola`, { cookie: s.cookie, timeout: 5000 });
      assert.equal(res.status, 200);
      assert.ok(Date.now() - t0 < 3000, `answered in ${Date.now() - t0} ms`);
    }
  } finally {
    clearInterval(timer);
    slow.forEach((x) => x.destroy());
    up.destroy();
  }
});

test('another address than loopback is refused without TLS; with TLS it serves HTTPS and Secure cookies', async () => {
  const r = spawnSync(lib.PHR, ['serve', '--register', clinic.db, '--key', 'c1.key', '--cert', 'c1.cert', '--trust',
    'trust.bundle', '--listen', '0.0.0.0:0'], { cwd: clinic.dir, env: clinic.env, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 43);
  assert.match(r.stderr, /not a loopback address.*needs TLS/);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.crt',
    '-days', '2', '-subj', '/CN=localhost'], { cwd: clinic.dir, stdio: 'ignore' });
  const child = require('node:child_process').spawn(lib.PHR, ['serve', '--register', clinic.db, '--key', 'c1.key',
    '--cert', 'c1.cert', '--trust', 'trust.bundle', '--listen', '0.0.0.0:0', '--tls-cert', 'tls.crt', '--tls-key',
    'tls.key'], { cwd: clinic.dir, env: clinic.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = out.match(/https:\/\/0\.0\.0\.0:(\d+)\//); if (m) resolve(m[1]); });
    child.on('exit', (c) => reject(new Error(`exit ${c}`)));
  });
  try {
    const get = (p, opts = {}) => new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false, ...opts }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
      req.on('error', reject);
      if (opts.body) req.write(opts.body);
      req.end();
    });
    const page = await get('/login');
    assert.equal(page.status, 200);
    const token = page.body.match(/name="login_token" value="([0-9a-f]+)"/)[1];
    const body = new URLSearchParams({ login_token: token, name: 'Clara Clerk', password: lib.PASSWORD }).toString();
    const res = await get('/login', { method: 'POST', body, headers: { Cookie: page.headers['set-cookie'][0].split(';')[0],
      'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length } });
    assert.equal(res.status, 303);
    assert.match(res.headers['set-cookie'].find((c) => c.startsWith('phr_session=')), /; Secure/);
  } finally {
    child.kill('SIGTERM');
  }
});
