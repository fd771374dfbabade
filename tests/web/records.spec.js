// Scan, Record, Print and Search in the browser: a booklet printed by phr,
// its QR code page rendered by pdftoppm and uploaded on the Scan page,
// gives the same record, shown exactly as 'phr show' shows it; a record
// whose codes come in two uploads ("1 of 3 codes found"); a booklet and the
// codes printed from the Print page read back by phr scan; a search by a
// transliterated name; a document downloaded and checked against its hash.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const lib = require('./lib');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));

const example = (name) => path.join(lib.SRC, 'examples', `${name}.json`);
const recordId = (file) => clinic.phr(['inspect', file]).match(/[0-9a-f]{32}/)[0];

// The page of a booklet PDF that holds the codes, rendered at 300 dpi.
function codePage(pdf, out) {
  const pages = Number(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)[1]);
  for (let p = 1; p <= pages; p++) {
    const text = execFileSync('pdftotext', ['-f', `${p}`, '-l', `${p}`, pdf, '-'], { encoding: 'utf8' });
    if (/Machine-readable copy/.test(text)) { // the clinic's column is English in these tests
      execFileSync('pdftoppm', ['-r', '300', '-f', `${p}`, '-l', `${p}`, '-singlefile', '-png', pdf, out]);
      return `${out}.png`;
    }
  }
  throw new Error(`${pdf}: no page with the codes`);
}

test('a booklet printed by phr, its code page uploaded on Scan: the same record, as phr show shows it', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', example('older-man-chronic'), '--out', 'm.phr']);
  clinic.phr(['print', '--trust', 'trust.bundle', '--lang', 'uk,en', 'm.phr', '--out', 'm.pdf']);
  const png = codePage(clinic.file('m.pdf'), clinic.file('m-codes'));
  const id = recordId('m.phr');

  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/scan`);
  assert.equal(await page.getAttribute('#images', 'accept'), 'image/*');
  assert.notEqual(await page.getAttribute('#images', 'multiple'), null);
  assert.notEqual(await page.getAttribute('#images', 'capture'), null);
  await page.setInputFiles('#images', png);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.click('#scan')]);
  assert.match(page.url(), new RegExp(`/record/${id}\\?filed=new$`));
  assert.match(await page.textContent('#filed'), /a new record/);
  assert.equal(await page.textContent('#record-id'), id);
  // the two columns are exactly 'phr show' in the holder's language (uk,
  // the record's preferred one) and the clinic's (the page's, en)
  const showUk = clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'uk', 'm.phr']);
  const showEn = clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'en', 'm.phr']);
  assert.equal(await page.textContent('#view-holder'), showUk);
  assert.equal(await page.textContent('#view-clinic'), showEn);
  assert.equal(await page.getAttribute('#view-holder', 'lang'), 'uk');
  assert.match(await page.textContent('#status'), /verified/);
  // filed in the register as scanned, by the clerk; the view is audited with her name
  const show = JSON.parse(clinic.phr(['register', 'show', '--format', 'json', clinic.db, id]));
  assert.ok(JSON.stringify(show).includes('Clara Clerk (clerk, web)'), 'the sighting names the clerk');
  const rows = lib.audit(clinic);
  assert.ok(rows.some((r) => r.action === 'show' && r.record_id === id && r.who === 'Clara Clerk (clerk, web)'));
  assert.ok(rows.some((r) => r.action === 'add' && r.record_id === id && r.who === 'Clara Clerk (clerk, web)'));
  // the same upload again: the register holds it already
  await page.goto(`${clinic.url}/scan`);
  await page.setInputFiles('#images', png);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.click('#scan')]);
  assert.match(page.url(), /filed=seen$/);
  await page.context().close();
});

test('codes in two uploads: "1 of 3 codes found", then the record', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', example('adult-tb-positive-referral'),
    '--out', 'a.phr']);
  // --max-version 15: this record takes two data codes and a parity code
  clinic.phr(['qr', '--parity', '1', '--max-version', '15', '--out-dir', 'acodes', 'a.phr']);
  const codes = fs.readdirSync(clinic.file('acodes')).filter((f) => f.endsWith('.png')).sort()
    .map((f) => path.join(clinic.file('acodes'), f));
  assert.equal(codes.length, 3);
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/scan`);
  await page.setInputFiles('#images', codes[0]);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.click('#scan')]);
  assert.match(await page.textContent('#progress'), /1 of 3 codes found\. 1 more code would restore the record/);
  // the code read is carried by the form: the next upload adds to it
  await page.setInputFiles('#images', codes[2]);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.click('#scan')]);
  assert.match(page.url(), new RegExp(`/record/${recordId('a.phr')}\\?filed=new$`));
  await page.context().close();
});

test('a record whose consent says store: false is shown from Scan and not kept', async () => {
  const json = JSON.parse(fs.readFileSync(example('older-man-chronic'), 'utf8'));
  json.consent.store = false;
  fs.writeFileSync(clinic.file('nostore.json'), JSON.stringify(json));
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', 'nostore.json', '--out', 'n.phr']);
  const id = recordId('n.phr');
  clinic.phr(['qr', '--parity', '1', '--out-dir', 'ncodes', 'n.phr']);
  const codes = fs.readdirSync(clinic.file('ncodes')).filter((f) => f.endsWith('.png'))
    .map((f) => path.join(clinic.file('ncodes'), f));
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/scan`);
  await page.setInputFiles('#images', codes);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.click('#scan')]);
  assert.match(page.url(), /\/scan$/);
  assert.match(await page.textContent('#consent'), /not kept: it is shown here and not stored/);
  const showEn = clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'en', 'n.phr']);
  assert.equal(await page.textContent('#view-clinic'), showEn);
  // nothing of it in the register, not even in the audit
  const res = await lib.request(clinic, `/record/${id}`, { cookie: (await page.context().cookies())
    .filter((c) => c.name === 'phr_session').map((c) => `${c.name}=${c.value}`).join('; ') });
  assert.equal(res.status, 404);
  assert.ok(!JSON.stringify(lib.audit(clinic)).includes(id));
  await page.context().close();
});

test('an Arabic session: dir=rtl, Arabic labels, the record in Arabic beside the holder\'s language', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', example('child-no-vaccination-documents'),
    '--out', 's.phr', '--register', clinic.db]);
  const id = recordId('s.phr');
  const page = await lib.login(br, clinic, 'Clara Clerk', { lang: 'ar' });
  await page.goto(`${clinic.url}/record/${id}`);
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('html', 'lang'), 'ar');
  const showAr = clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'ar', 's.phr']);
  assert.equal(await page.textContent('#view-clinic'), showAr);
  // the menu in Arabic, from layouts/po/ar.po
  const arSearch = execFileSync('sh', ['-c', `grep -A1 '^msgid "ui.web.menu_search"' ${lib.SRC}/layouts/po/ar.po | sed -n 's/^msgstr "\\(.*\\)"$/\\1/p'`],
    { encoding: 'utf8' }).trim();
  assert.ok(arSearch.length > 0 && !/Search/.test(arSearch), 'ar.po has its own label');
  assert.equal((await page.textContent('nav a[href="/search"]')).trim(), arSearch);
  await page.context().close();
});

test('search by a name in another script finds the record', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', example('pregnant-hepatitis-b'),
    '--out', 'z.phr', '--register', clinic.db]);
  const id = recordId('z.phr');
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/search`);
  await page.fill('#q-name', 'Zahra Ahmadi');
  await Promise.all([page.waitForNavigation(), page.click('#search')]);
  const hrefs = await page.$$eval('#hits a.hit', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.includes(`/record/${id}`), `hits: ${hrefs}`);
  assert.equal(await page.textContent('#hits a.hit'), 'زهرا احمدی');
  // the audit names the fields asked, never the name typed
  const rows = lib.audit(clinic);
  const find = rows.filter((r) => r.action === 'find').pop();
  assert.equal(find.who, 'Clara Clerk (clerk, web)');
  assert.ok(!JSON.stringify(rows).includes('Zahra'));
  await page.click('#hits a.hit');
  await page.waitForURL(`**/record/${id}`);
  await page.context().close();
});

test('Print: a booklet in the holder\'s language chosen on the page, and the codes alone, read back by phr scan', async () => {
  const id = recordId('m.phr');
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/record/${id}`);
  await Promise.all([page.waitForNavigation(), page.click('#print')]);
  await page.check('input[name=kind][value="a6-booklet"]');
  await page.selectOption('#holder', 'fr');
  await page.selectOption('#clinic', 'en');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#print-go')]);
  const pdf = clinic.file('web-booklet.pdf');
  await download.saveAs(pdf);
  assert.equal(fs.readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
  const text = execFileSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
  assert.match(text, /Dossier médical personnel/, 'the holder\'s column in French');
  assert.match(text, /Personal Health Record/);
  const png = codePage(pdf, clinic.file('web-codes'));
  const scan = clinic.phr(['scan', '--trust', 'trust.bundle', '--format', 'json', png]);
  assert.equal(JSON.parse(scan).records[0].record_id, id);
  // the codes alone: a page of PNG codes the browser prints
  await page.goto(`${clinic.url}/print/${id}`);
  await page.check('input[name=kind][value="codes"]');
  await Promise.all([page.waitForNavigation(), page.click('#print-go')]);
  const srcs = await page.$$eval('img.code', (is) => is.map((i) => i.getAttribute('src')));
  assert.ok(srcs.length >= 2);
  const files = srcs.map((s, i) => {
    const f = clinic.file(`web-code-${i}.png`);
    fs.writeFileSync(f, Buffer.from(s.replace(/^data:image\/png;base64,/, ''), 'base64'));
    return f;
  });
  const back = JSON.parse(clinic.phr(['scan', '--trust', 'trust.bundle', '--format', 'json', ...files]));
  assert.equal(back.records[0].record_id, id);
  const rows = lib.audit(clinic);
  assert.ok(rows.some((r) => r.action === 'print' && r.record_id === id && /a6-booklet fr,en/.test(r.detail)));
  await page.context().close();
});

test('a document: listed with its signed title, downloaded bytes equal the signed file', async () => {
  const doc = path.join(lib.SRC, 'tests/data/lab-result.pdf');
  clinic.phr(['attach', '--key', 'c1.key', '--cert', 'c1.cert', '--trust', 'trust.bundle', '--in', 'm.phr',
    '--file', doc, '--type', 'lab_result', '--title', 'IGRA result', '--out', 'm2.phr', '--register', clinic.db]);
  const id = recordId('m2.phr');
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/record/${id}`);
  assert.match(await page.textContent('#documents'), /IGRA result/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#documents a.doc')]);
  const got = clinic.file('got.pdf');
  await download.saveAs(got);
  assert.ok(fs.readFileSync(got).equals(fs.readFileSync(doc)));
  await page.context().close();
});
