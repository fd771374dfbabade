// The Card page (web/cards.c) on the real PC/SC stack, as
// tests/integration/card.sh runs it: pcscd started here (as root) with
// Debian's vpcd driver and the project's virtual card (tests/card/vicc.c) in
// reader "Virtual PCD 00 00". One pcscd per machine: this test takes the same
// lock as card.sh and card_seal.sh (/run/lock/phr-card-test.lock) and refuses
// to share a pcscd started by someone else.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');
const { IMAGES, poLabel } = require('./forms-lib');

const VICC = process.env.PHR_VICC;
const PCSCD = ['/usr/sbin/pcscd', '/sbin/pcscd'].find((p) => fs.existsSync(p));
const VPCD = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const LOCK = '/run/lock/phr-card-test.lock';
const R0 = 'Virtual PCD 00 00';
const PIN = '123456';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let clinic, br, locker, pcscd, vicc;

function cardList() {
  const r = spawnSync(lib.PHR, ['card', 'list'], { encoding: 'utf8', env: clinic.env });
  return r.status === 0 ? r.stdout : null;
}
async function poll(what, fn, seconds = 10) {
  for (let i = 0; i < seconds * 20; i++) {
    if (fn()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
// Runs phr card ... with the PIN; returns the exit status (the command's
// own view of the card, independent of the page).
function cardCmd(args) {
  const r = spawnSync(lib.PHR, ['card', ...args], { cwd: clinic.dir, env: { ...clinic.env, PHR_PIN: PIN },
    encoding: 'utf8' });
  return r;
}
function startVicc(state, extra = []) {
  vicc = spawn(VICC, ['--state', clinic.file(state), '--port', '35963', ...extra], { stdio: 'ignore' });
  return poll('the card in the reader', () => (cardList() || '').includes(`${R0}: card present`));
}
async function stopVicc() {
  if (!vicc) return;
  const v = vicc;
  vicc = null;
  v.kill('SIGTERM');
  await new Promise((r) => (v.exitCode !== null ? r() : v.on('exit', r)));
  await poll('the card gone', () => (cardList() || '').includes(`${R0}: no card`));
}
const recordId = (file) => clinic.phr(['inspect', file]).match(/[0-9a-f]{32}/)[0];
const shot = async (page, name) => {
  if (process.env.PHR_SCREENSHOTS) await page.screenshot({ path: path.join(IMAGES, name), fullPage: true });
};
async function post(page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

before(async () => {
  assert.equal(process.getuid(), 0, 'the card test starts its own pcscd: run it as root (as CI does)');
  assert.ok(PCSCD && fs.existsSync(VPCD), 'needs pcscd and the vpcd driver (Debian pcscd, vsmartcard-vpcd)');
  assert.ok(VICC && fs.existsSync(VICC), 'PHR_VICC: the virtual card (tests/card/vicc.c)');
  // the lock card.sh and card_seal.sh take, held by a child until the end
  locker = spawn('flock', ['-w', '480', LOCK, 'sh', '-c', 'echo locked; exec sleep 100000'],
    { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise((resolve, reject) => {
    locker.stdout.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
    locker.on('exit', (c) => reject(new Error(`no lock on ${LOCK} (flock ${c})`)));
  });
  clinic = lib.makeClinic();
  assert.equal(cardList(), null, 'another pcscd is running: stop it first');
  await lib.serve(clinic);
  br = await lib.browser();
});

after(async () => {
  if (br) await br.close();
  if (vicc) vicc.kill('SIGTERM');
  if (pcscd) {
    pcscd.kill('SIGTERM');
    await new Promise((r) => (pcscd.exitCode !== null ? r() : pcscd.on('exit', r)));
  }
  if (clinic) {
    await lib.stop(clinic);
    lib.cleanup(clinic);
  }
  if (locker) process.kill(-locker.pid, 'SIGTERM');
});

test('no pcscd: the page says there is no reader, and reading says so', async () => {
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/card`);
  assert.equal(await page.textContent('#card-readers-none'), poLabel('en', 'ui.web.card_no_reader'));
  await page.fill('#pin-read', PIN);
  await post(page, '#card-read');
  assert.equal(await page.textContent('#card-msg'), poLabel('en', 'ui.web.card_no_reader'));
  await page.context().close();
});

test('pcscd with its readers, no card: "no card"', async () => {
  fs.rmSync('/run/pcscd/pcscd.comm', { force: true });
  pcscd = spawn(PCSCD, ['-f'], { stdio: 'ignore' });
  await poll('pcscd with the vpcd readers', () => (cardList() || '').includes(`${R0}: no card`));
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/card`);
  assert.match(await page.textContent('#card-readers'), new RegExp(`${R0}\\s*no card`));
  await page.fill('#pin-read', PIN);
  await post(page, '#card-read');
  assert.equal(await page.textContent('#card-msg'), poLabel('en', 'ui.web.card_absent'));
  await page.context().close();
});

test('a blank card: a clerk may not format it; a clinician does, with the PIN typed, and gets a PUK once', async () => {
  await startVicc('card.state', ['--blank']);
  const clerk = await lib.login(br, clinic, 'Clara Clerk');
  await clerk.goto(`${clinic.url}/card`);
  assert.equal(await clerk.locator('#card-format').count(), 0, 'no format form for a clerk');
  await clerk.fill('#pin-read', PIN);
  await post(clerk, '#card-read');
  assert.equal(await clerk.textContent('#card-msg'), poLabel('en', 'ui.web.card_no_app'));
  await clerk.context().close();
  const s = await lib.rawLogin(clinic, 'Clara Clerk');
  const body = new URLSearchParams({ csrf: s.csrf, pin: PIN }).toString();
  const res = await lib.request(clinic, '/card/format', { method: 'POST', body, cookie: s.cookie,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 403);
  assert.equal(cardCmd(['read', '--out', clinic.file('x.phr')]).status, 22, 'the card is still blank');

  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(`${clinic.url}/card`);
  await page.fill('#pin-format', '12345');
  assert.equal(await page.evaluate(() => document.querySelector('#pin-format').validity.valid), false);
  await page.fill('#pin-format', PIN);
  await post(page, '#card-format');
  assert.equal(await page.textContent('#card-msg'), poLabel('en', 'ui.web.card_formatted'));
  assert.match(await page.textContent('#card-puk'), /^[0-9]{8}$/);
  assert.ok(!(await page.content()).includes(PIN), 'the PIN is not in the page');
  assert.equal(await page.inputValue('#pin-format'), '');
  // the command reads the card with that PIN: formatted, empty
  assert.equal(cardCmd(['read', '--out', clinic.file('x.phr')]).status, 27);
  await page.context().close();
  const rows = lib.audit(clinic);
  assert.ok(rows.some((r) => r.action === 'card-format' && r.who === 'Nadia K. (clinician, web)'));
});

test('the Record page\'s "Write to card": the register\'s record on the card, read back by phr card', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples',
    'older-man-chronic.json'), '--out', 'm.phr', '--register', clinic.db]);
  const id = recordId('m.phr');
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/record/${id}`);
  await Promise.all([page.waitForNavigation(), page.click('#write-card')]);
  assert.match(page.url(), new RegExp(`/card\\?record=${id}$`));
  await page.fill('#pin-write', PIN);
  await shot(page, 'web-card-en.png');
  await post(page, '#card-write');
  assert.equal(await page.getAttribute('#card-msg', 'class'), 'ok');
  assert.match(await page.textContent('#card-msg'), /written to the card/);
  const r = cardCmd(['read', '--out', clinic.file('back.phr')]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readFileSync(clinic.file('back.phr')), fs.readFileSync(clinic.file('m.phr')));
  // another person's record on the card is not written over without the box
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples',
    'pregnant-hepatitis-b.json'), '--out', 'p.phr', '--register', clinic.db]);
  const other = recordId('p.phr');
  await page.goto(`${clinic.url}/card?record=${other}`);
  await page.fill('#pin-write', PIN);
  await post(page, '#card-write');
  assert.equal(await page.textContent('#card-msg'), poLabel('en', 'ui.web.card_other_record'));
  assert.equal(cardCmd(['read', '--out', clinic.file('back2.phr')]).status, 0);
  assert.deepEqual(fs.readFileSync(clinic.file('back2.phr')), fs.readFileSync(clinic.file('m.phr')));
  await page.context().close();
  assert.ok(lib.audit(clinic).some((x) => x.action === 'card-write' && x.record_id === id &&
    x.who === 'Clara Clerk (clerk, web)'));
});

test('reading a card: verified, filed in the register, shown as phr show shows it', async () => {
  // a record the register does not hold, put on the card by the command
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples',
    'adult-tb-positive-referral.json'), '--out', 'a.phr']);
  const id = recordId('a.phr');
  const w = cardCmd(['write', '--replace', clinic.file('a.phr')]);
  assert.equal(w.status, 0, w.stderr);
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/card`);
  await page.fill('#pin-read', PIN);
  await post(page, '#card-read');
  assert.match(page.url(), new RegExp(`/record/${id}\\?filed=new$`));
  assert.equal(await page.textContent('#record-id'), id);
  const showEn = clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'en', 'a.phr']);
  assert.equal(await page.textContent('#view-clinic'), showEn);
  assert.match(await page.textContent('#status'), /verified/);
  const show = JSON.parse(clinic.phr(['register', 'show', '--format', 'json', clinic.db, id]));
  assert.ok(JSON.stringify(show).includes('"card"'), 'the sighting says "card"');
  await page.context().close();
});

test('a wrong PIN in Arabic: tries left, the PIN never echoed; then blocked', async () => {
  const page = await lib.login(br, clinic, 'Nadia K.', { lang: 'ar' });
  await page.goto(`${clinic.url}/card`);
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  await page.fill('#pin-read', '918273');
  await post(page, '#card-read');
  const want = poLabel('ar', 'ui.web.card_pin_wrong').replace('%d', '2');
  assert.equal(await page.textContent('#card-msg'), want);
  assert.equal(await page.inputValue('#pin-read'), '');
  assert.ok(!(await page.content()).includes('918273'), 'the PIN is not in the page');
  await shot(page, 'web-card-ar.png');
  // the right PIN resets the count (the command reads)
  assert.equal(cardCmd(['read', '--out', clinic.file('y.phr')]).status, 0);
  for (const left of [2, 1]) {
    await page.fill('#pin-read', '918273');
    await post(page, '#card-read');
    assert.equal(await page.textContent('#card-msg'), poLabel('ar', 'ui.web.card_pin_wrong').replace('%d', `${left}`));
  }
  await page.fill('#pin-read', '918273');
  await post(page, '#card-read');
  assert.equal(await page.textContent('#card-msg'), poLabel('ar', 'ui.web.card_pin_last'));
  await page.fill('#pin-read', PIN);
  await post(page, '#card-read');
  assert.equal(await page.textContent('#card-msg'), poLabel('ar', 'ui.web.card_blocked'));
  assert.ok(!(clinic.serverLog || '').includes('918273') && !(clinic.serverLog || '').includes(PIN));
  assert.ok(!JSON.stringify(lib.audit(clinic)).includes('918273'));
  await page.context().close();
  // without the CSRF token, nothing reaches the card
  const s = await lib.rawLogin(clinic, 'Nadia K.');
  const res = await lib.request(clinic, '/card/read', { method: 'POST', body: `pin=${PIN}`, cookie: s.cookie,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 403);
  await stopVicc();
});
