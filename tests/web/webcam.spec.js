// The Scan page's webcam: Chromium's fake camera plays a booklet's code page
// (a Y4M video made from pdftoppm's grey rendering); the page posts frames
// to /scan/frame until the record is whole, then opens it.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const lib = require('./lib');

let clinic, br, id;

// PGM (P5, 8-bit) -> a Y4M of a few identical 4:2:0 frames: Y the grey, U and V neutral.
function pgmToY4m(pgm, out, frames = 3) {
  const buf = fs.readFileSync(pgm);
  const m = buf.toString('latin1', 0, 64).match(/^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/);
  let w = Number(m[1]), h = Number(m[2]);
  const data = buf.subarray(m[0].length);
  const W = w & ~1, H = h & ~1;
  const y = Buffer.alloc(W * H);
  for (let r = 0; r < H; r++) data.copy(y, r * W, r * w, r * w + W);
  const uv = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F5:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from('FRAME\n'), y, uv);
  fs.writeFileSync(out, Buffer.concat(parts));
}

before(async () => {
  clinic = lib.makeClinic();
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in',
    path.join(lib.SRC, 'examples/pregnant-hepatitis-b.json'), '--out', 'z.phr']);
  id = clinic.phr(['inspect', 'z.phr']).match(/[0-9a-f]{32}/)[0];
  clinic.phr(['print', '--trust', 'trust.bundle', '--lang', 'fa,en', 'z.phr', '--out', 'z.pdf']);
  const pdf = clinic.file('z.pdf');
  const pages = Number(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)[1]);
  for (let p = 1; p <= pages; p++) {
    if (/Machine-readable copy/.test(execFileSync('pdftotext', ['-f', `${p}`, '-l', `${p}`, pdf, '-'], { encoding: 'utf8' }))) {
      execFileSync('pdftoppm', ['-r', '300', '-gray', '-f', `${p}`, '-l', `${p}`, '-singlefile', pdf, clinic.file('page')]);
      break;
    }
  }
  pgmToY4m(clinic.file('page.pgm'), clinic.file('camera.y4m'));
  await lib.serve(clinic);
  br = await lib.browser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${clinic.file('camera.y4m')}`]);
});
after(() => lib.shutdown(br, clinic));

test('the webcam reads the code page: the record opens, filed as scanned', async () => {
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/scan`);
  await page.waitForSelector('#webcam:not([hidden])');
  await page.click('#webcam');
  await page.waitForURL(new RegExp(`/record/${id}\\?filed=new$`), { timeout: 60000 });
  assert.equal(await page.textContent('#record-id'), id);
  const rows = lib.audit(clinic);
  assert.ok(rows.some((r) => r.action === 'add' && r.record_id === id && r.who === 'Clara Clerk (clerk, web)'));
  await page.context().close();
});

test('/scan/frame without a picture says no code was found, and keeps the codes sent', async () => {
  const s = await lib.rawLogin(clinic, 'Clara Clerk');
  const body = new URLSearchParams({ csrf: s.csrf }).toString();
  const res = await lib.request(clinic, '/scan/frame', { method: 'POST', cookie: s.cookie, body,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 200);
  const j = JSON.parse(res.body);
  assert.match(j.message, /No record code was found/);
  assert.deepEqual(j.codes, []);
});
