// The flows records.spec.js and forms.spec.js test in English, with the page
// in Arabic (dir=rtl, labels from layouts/po/ar.po): a booklet printed from
// the Print page, its code page rendered by pdftoppm and uploaded on Scan,
// gives the same record byte for byte, shown as 'phr show' shows it; a lab
// result with its PDF extends a record through the follow-up form, the
// signed reference being the file's hash; a search by a name typed in Latin
// letters finds the record whose name is in Persian script.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const lib = require('./lib');
const { example, poLabel, fillForm, review, sign, showJson: show, assertContent } = require('./forms-lib');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));

const recordId = (file) => clinic.phr(['inspect', file]).match(/[0-9a-f]{32}/)[0];

// The page is in Arabic: right to left, and the menu's Search label is the
// one ar.po holds (not the English one).
async function assertArabic(page) {
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('html', 'lang'), 'ar');
  const label = poLabel('ar', 'ui.web.menu_search');
  assert.ok(label.length > 0 && label !== poLabel('en', 'ui.web.menu_search'));
  assert.equal((await page.textContent('nav a[href="/search"]')).trim(), label);
}

// The page of a booklet PDF that holds the codes, rendered at 300 dpi: the
// page titled with ui.print.codes_title in the clinic's column language.
function codePage(pdf, out, lang) {
  // pdftotext gives the Arabic with bidi marks and may order a letter's
  // vowel marks otherwise: both sides are compared without marks
  const bare = (t) => t.normalize('NFKC').replace(/[\p{M}\u200e\u200f\u202a-\u202e]/gu, '');
  const title = poLabel(lang, 'ui.print.codes_title');
  const words = bare(title).split(/\s+/).filter((w) => w.length > 2);
  const pages = Number(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)[1]);
  for (let p = 1; p <= pages; p++) {
    const text = execFileSync('pdftotext', ['-f', `${p}`, '-l', `${p}`, pdf, '-'], { encoding: 'utf8' });
    if (words.every((w) => bare(text).includes(w))) {
      execFileSync('pdftoppm', ['-r', '300', '-f', `${p}`, '-l', `${p}`, '-singlefile', '-png', pdf, out]);
      return `${out}.png`;
    }
  }
  throw new Error(`${pdf}: no page titled "${title}"`);
}

test('in Arabic: a booklet printed from the page, its code page uploaded on Scan, restores the same record', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples/older-man-chronic.json'),
    '--out', 'm.phr', '--register', clinic.db]);
  const id = recordId('m.phr');
  const page = await lib.login(br, clinic, 'Clara Clerk', { lang: 'ar' });
  await page.goto(`${clinic.url}/record/${id}`);
  await assertArabic(page);
  assert.equal((await page.textContent('#print')).trim(), poLabel('ar', 'ui.web.print'));
  await Promise.all([page.waitForNavigation(), page.click('#print')]);
  await assertArabic(page);
  await page.check('input[name=kind][value="a6-booklet"]');
  await page.selectOption('#holder', 'uk');
  await page.selectOption('#clinic', 'ar');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#print-go')]);
  const pdf = clinic.file('ar-booklet.pdf');
  await download.saveAs(pdf);
  assert.equal(fs.readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
  const png = codePage(pdf, clinic.file('ar-codes'), 'ar');
  assert.ok(lib.audit(clinic).some((r) => r.action === 'print' && r.record_id === id &&
    /a6-booklet uk,ar/.test(r.detail)), 'the print audited with the languages chosen');
  // the register forgets the record, so that the upload restores it alone
  clinic.phr(['register', 'forget', clinic.db, id]);
  await page.goto(`${clinic.url}/scan`);
  await assertArabic(page);
  assert.equal((await page.textContent('#scan')).trim(), poLabel('ar', 'ui.web.scan_button'));
  await page.setInputFiles('#images', png);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.click('#scan')]);
  assert.match(page.url(), new RegExp(`/record/${id}\\?filed=new$`));
  await assertArabic(page);
  assert.equal(await page.textContent('#record-id'), id);
  // the record filed from the upload is the issued file, byte for byte
  clinic.phr(['register', 'export', clinic.db, id, '--out', 'm-back.phr']);
  assert.ok(fs.readFileSync(clinic.file('m-back.phr')).equals(fs.readFileSync(clinic.file('m.phr'))),
    'the restored record equals the issued one');
  // the holder's column (uk) and the clinic's (the page's, ar) are 'phr show'
  assert.equal(await page.textContent('#view-holder'), clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'uk', 'm.phr']));
  assert.equal(await page.textContent('#view-clinic'), clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'ar', 'm.phr']));
  const rows = lib.audit(clinic);
  assert.ok(rows.some((r) => r.action === 'add' && r.record_id === id && r.who === 'Clara Clerk (clerk, web)'));
  await page.context().close();
});

test('in Arabic: a lab result with its PDF extends a record through the follow-up form', async () => {
  const rel = 'examples/adult-tb-positive-referral.json';
  const page = await lib.login(br, clinic, 'Nadia K.', { lang: 'ar' });
  await page.goto(`${clinic.url}/assess`);
  await assertArabic(page);
  await fillForm(page, example(rel));
  assert.equal((await review(page)).status(), 200);
  const { id, key } = await sign(page);
  assert.ok(key, 'the holder key on the signed page');

  const want = example('examples/entries/lab-result-referral.json');
  const docRef = example('examples/entries/document-lab-result.json').documents[0];
  const file = path.join(lib.SRC, 'tests/data/lab-result.pdf');
  await page.goto(`${clinic.url}/record/${id}/followup?kind=followup-lab`);
  await assertArabic(page);
  await fillForm(page, want);
  await page.setInputFiles('#document', file);
  await page.selectOption('#doc_type', docRef.type);
  await page.fill('#doc_title', docRef.title);
  await page.fill('#holder_key', key);
  const resp = await review(page);
  assert.equal(resp.status(), 200, await page.content());
  await assertArabic(page);
  assert.ok((await page.textContent('.phr-summary')).includes(docRef.title));
  assert.equal((await sign(page)).id, id, 'the same record, extended');
  const rec = show(clinic, id, key);
  assert.equal(rec.verified, true);
  assert.equal(rec.entries.length, 2);
  const content = rec.entries[1].content;
  // the signed reference is the uploaded file's hash (BLAKE2b-256,
  // docs/FORMAT.md), computed here by coreutils' b2sum
  const hash = execFileSync('b2sum', ['-l', '256', file], { encoding: 'utf8' }).split(/\s/)[0];
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(content.documents.length, 1);
  assert.equal(content.documents[0].hash, hash);
  assert.equal(content.documents[0].size, fs.statSync(file).size);
  assert.deepEqual(content.documents, [docRef]);
  const typed = { ...content };
  delete typed.documents;
  assertContent(typed, want, 'lab-result-referral.json');
  const docs = clinic.phr(['register', 'documents', clinic.db, id]);
  assert.ok(docs.includes(hash.slice(0, 16)), docs);
  await page.context().close();
});

test('in Arabic: a search by a name in Latin letters finds the record written in Persian script', async () => {
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples/pregnant-hepatitis-b.json'),
    '--out', 'z.phr', '--register', clinic.db]);
  const id = recordId('z.phr');
  const name = example('examples/pregnant-hepatitis-b.json').identity.names[0];
  const page = await lib.login(br, clinic, 'Clara Clerk', { lang: 'ar' });
  await page.goto(`${clinic.url}/search`);
  await assertArabic(page);
  await page.fill('#q-name', 'Zahra Ahmadi');
  await Promise.all([page.waitForNavigation(), page.click('#search')]);
  await assertArabic(page);
  const hrefs = await page.$$eval('#hits a.hit', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, [`/record/${id}`]);
  const shown = await page.textContent('#hits a.hit');
  assert.ok(!/[A-Za-z]/.test(shown) && shown.includes(name.family), `hit: ${shown}`);
  await Promise.all([page.waitForNavigation(), page.click('#hits a.hit')]);
  assert.equal(await page.textContent('#record-id'), id);
  await page.context().close();
});
