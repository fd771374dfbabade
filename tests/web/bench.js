// Benchmark (meson test --benchmark web, docs/PERFORMANCE.md "Web app"):
// phr serve's time for a record view, a name search, an assessment form
// posted and signed (the fields of an example, as the form posts them) and a
// 12 MP photo of a booklet's code page uploaded to a verified, filed record,
// each against
// the same operation through the phr command (a process per operation,
// as a clinic's script would run it). p50 and p99 of wall time measured by
// the client on loopback (so transfer included), N runs each.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const lib = require('./lib');
const { fieldsOf } = require('./forms-lib');

const N = Number(process.env.PHR_WEB_BENCH_N || 40);
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function time(n, fn) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    xs.push(ms(t0));
  }
  xs.sort((a, b) => a - b);
  return { p50: pct(xs, 50), p99: pct(xs, 99) };
}

function cli(clinic, args) {
  const r = spawnSync(lib.PHR, args, { cwd: clinic.dir, env: clinic.env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0 && r.status !== 35) throw new Error(`phr ${args.join(' ')}: ${r.status} ${r.stderr}`);
}

async function main() {
  const clinic = lib.makeClinic({ staff: { 'Clara Clerk': 'clerk', 'Nadia K.': 'clinician' } });
  const ids = [];
  for (const ex of ['adult-tb-positive-referral', 'child-no-vaccination-documents', 'older-man-chronic',
    'pregnant-hepatitis-b']) {
    clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples', `${ex}.json`),
      '--out', `${ex}.phr`, '--register', clinic.db]);
    ids.push(clinic.phr(['inspect', `${ex}.phr`]).match(/[0-9a-f]{32}/)[0]);
  }
  // a 12 MP JPEG of the code page of older-man-chronic's booklet (A6 at 700 dpi: 2894 x 4079)
  clinic.phr(['print', '--trust', 'trust.bundle', '--lang', 'en', 'older-man-chronic.phr', '--out', 'm.pdf']);
  const pdf = clinic.file('m.pdf');
  const pages = Number(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)[1]);
  for (let p = 1; p <= pages; p++)
    if (/Machine-readable copy/.test(execFileSync('pdftotext', ['-f', `${p}`, '-l', `${p}`, pdf, '-'], { encoding: 'utf8' })))
      execFileSync('pdftoppm', ['-r', '700', '-jpeg', '-f', `${p}`, '-l', `${p}`, '-singlefile', pdf, clinic.file('photo')]);
  const photo = fs.readFileSync(clinic.file('photo.jpg'));
  await lib.serve(clinic);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const s = await lib.rawLogin(clinic, 'Clara Clerk', agent);
  const rows = [];
  const id = ids[2];
  const get = async (p) => {
    const r = await lib.request(clinic, p, { cookie: s.cookie, agent });
    if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
  };
  rows.push(['record view', await time(N, () => get(`/record/${id}`)),
    await time(N, () => cli(clinic, ['register', 'show', '--trust', 'trust.bundle', clinic.db, id]))]);
  rows.push(['name search', await time(N, () => get('/search?go=1&name=Mykola+Kovalenko')),
    await time(N, () => cli(clinic, ['register', 'find', clinic.db, '--name', 'Mykola Kovalenko']))]);
  const upload = async () => {
    const b = '----bench';
    const body = Buffer.concat([
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${s.csrf}\r\n`),
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="images"; filename="photo.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n'), photo, Buffer.from(`\r\n--${b}--\r\n`)]);
    const r = await lib.request(clinic, '/scan', { method: 'POST', cookie: s.cookie, body, agent, timeout: 120000,
      headers: { 'Content-Type': `multipart/form-data; boundary=${b}` } });
    if (r.status !== 303) throw new Error(`upload: ${r.status} ${r.body.slice(0, 300)}`);
  };
  // form submit + sign: the fields of an example posted to /assess (the
  // form's "Sign and file"), against phr issue of the same JSON into the
  // register (each a new record, sealed under a new holder key)
  const signer = await lib.rawLogin(clinic, 'Nadia K.', agent);
  const exJson = path.join(lib.SRC, 'examples', 'older-man-chronic.json');
  const fields = fieldsOf(JSON.parse(fs.readFileSync(exJson, 'utf8')));
  const signBody = new URLSearchParams([['csrf', signer.csrf], ['action', 'sign'], ...fields]).toString();
  const sign = async () => {
    const r = await lib.request(clinic, '/assess', { method: 'POST', cookie: signer.cookie, body: signBody, agent,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    if (r.status !== 200 || !r.body.includes('phr-signed-id')) throw new Error(`sign: ${r.status} ${r.body.slice(0, 300)}`);
  };
  rows.push([`form submit + sign (${fields.length} fields)`, await time(N, sign),
    await time(N, (i) => cli(clinic, ['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', exJson,
      '--out', `issued-${i}.phr`, '--register', clinic.db]))]);
  const M = Math.max(5, Math.floor(N / 4));
  rows.push([`12 MP photo to filed record (${(photo.length / 1e6).toFixed(1)} MB)`, await time(M, upload),
    await time(M, () => cli(clinic, ['scan', '--trust', 'trust.bundle', '--register', clinic.db, 'photo.jpg']))]);
  agent.destroy();
  await lib.stop(clinic);
  lib.cleanup(clinic);
  console.log(`| operation | phr serve p50 / p99 (ms) | phr command p50 / p99 (ms) | web / command (p50) |`);
  console.log('|---|---|---|---|');
  for (const [name, w, c] of rows)
    console.log(`| ${name} | ${w.p50.toFixed(1)} / ${w.p99.toFixed(1)} | ${c.p50.toFixed(1)} / ${c.p99.toFixed(1)} | ` +
      `${(w.p50 / c.p50).toFixed(2)} |`);
}

main().catch((e) => { console.error(e); process.exit(1); });
