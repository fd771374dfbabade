// A merged record on the Record page: a record issued at the clinic is
// extended apart on two copies (a fork, all on the test's one day), the copies joined with phr merge
// (tests/integration/merge.sh does the same from the command), and all
// three filed in the register. The page's "Versions met" table labels the
// merged version MERGED and every version it joined "merged into" it, as
// phr register show does; the versions and the labels are checked against
// phr register show --format json and layouts/po, in English and in Arabic
// (dir=rtl), where the clinic's column (phr show --lang ar) says where the
// branches were merged in Arabic too. Screenshots of both go to a scratch folder
// (PHR_SCREENSHOTS=docs/images to refresh the committed ones).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const lib = require('./lib');
const { IMAGES, poLabel } = require('./forms-lib');

let clinic, br, id, versions;
before(async () => {
  clinic = lib.makeClinic();
  const ex = (rel) => path.join(lib.SRC, 'examples', rel);
  const run = (args) => clinic.phr(args);
  run(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', ex('older-man-chronic.json'), '--out', 'r.phr']);
  run(['extend', '--key', 'c1.key', '--cert', 'c1.cert', '--in', 'r.phr', '--entry',
    ex('entries/vaccination-given.json'), '--out', 'a.phr', '--no-seal']);
  run(['extend', '--key', 'c1.key', '--cert', 'c1.cert', '--in', 'r.phr', '--entry',
    ex('entries/lab-result-referral.json'), '--out', 'b.phr', '--no-seal']);
  run(['merge', '--key', 'c1.key', '--cert', 'c1.cert', '--trust', 'trust.bundle', 'a.phr', 'b.phr',
    '--out', 'm.phr']);
  for (const f of ['a.phr', 'b.phr', 'm.phr']) {
    lib.phr(clinic, ['register', 'add', '--trust', 'trust.bundle', clinic.db, f], { allowed: [0, 35] });
  }
  id = run(['inspect', 'm.phr']).match(/[0-9a-f]{32}/)[0];
  versions = JSON.parse(run(['register', 'show', '--trust', 'trust.bundle', '--format', 'json', clinic.db, id]))
    .versions;
  await lib.serve(clinic);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));

// The version's name on the page: 16 hex digits of its hash after the record id.
const short = (vid) => vid.slice(32, 48);

// The "Versions met" rows: {code, cells, merged, into}.
async function rows(page) {
  return page.$$eval('#versions tr', (trs) => trs.map((tr) => ({
    code: tr.querySelector('td code').textContent,
    cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
    merged: tr.querySelector('.merged') ? tr.querySelector('.merged').textContent : null,
    into: tr.querySelector('.merged-into') ? tr.querySelector('.merged-into').textContent : null,
    intoCode: tr.querySelector('.merged-into code') ? tr.querySelector('.merged-into code').textContent : null,
  })));
}

function checkRows(got, lang) {
  const merged = versions.filter((v) => v.merged);
  assert.equal(merged.length, 1, `one merged version in phr register show: ${JSON.stringify(versions)}`);
  const m = merged[0];
  const joined = versions.filter((v) => v.merged_into === m.version_id);
  assert.equal(joined.length, 2, 'both copies merged into it (phr register show)');
  assert.equal(got.length, versions.length, 'one row per version');
  for (const v of versions) {
    const row = got.find((r) => r.code === short(v.version_id));
    assert.ok(row, `a row for version ${short(v.version_id)}: ${JSON.stringify(got)}`);
    if (v.merged) assert.equal(row.merged, poLabel(lang, 'ui.web.merged'), `${lang}: the merged version's label`);
    else assert.equal(row.merged, null, `${lang}: no MERGED on ${short(v.version_id)}`);
    if (v.merged_into) {
      assert.equal(row.intoCode, `${short(v.merged_into)}…`, `${lang}: merged into the merged version`);
      assert.ok(row.into.startsWith(poLabel(lang, 'ui.web.merged_into')), `${lang}: ${row.into}`);
    } else {
      assert.equal(row.into, null, `${lang}: no "merged into" on ${short(v.version_id)}`);
    }
  }
  // the merged version is the latest
  const mrow = got.find((r) => r.code === short(m.version_id));
  assert.ok(mrow.cells.includes(poLabel(lang, 'ui.web.latest')), `${lang}: the merged version is the latest`);
}

test('English: the merged version is MERGED, the copies it joined "merged into" it', async () => {
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${clinic.url}/record/${id}`);
  assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
  checkRows(await rows(page), 'en');
  assert.equal(poLabel('en', 'ui.web.merged'), 'MERGED (joins two branches)');
  await page.locator('#versions').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(IMAGES, 'web-record-merged-en.png') });
  await page.context().close();
});

test('Arabic: the same labels from ar.po, right to left', async () => {
  const page = await lib.login(br, clinic, 'Clara Clerk', { lang: 'ar' });
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${clinic.url}/record/${id}`);
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  const got = await rows(page);
  checkRows(got, 'ar');
  const label = poLabel('ar', 'ui.web.merged');
  assert.ok(/[\u0600-\u06ff]/.test(label) && !/MERGED/.test(label), 'ar.po has its own Arabic label');
  // the label reads right to left; the version code inside stays left to right
  assert.equal(await page.$eval('#versions .merged', (el) => getComputedStyle(el).direction), 'rtl');
  assert.equal(await page.$eval('#versions .merged-into code', (el) => getComputedStyle(el).direction), 'ltr');
  // the clinic's column is phr show in Arabic, its merge line in Arabic too
  const view = await page.textContent('#view-clinic');
  assert.equal(view, clinic.phr(['show', '--trust', 'trust.bundle', '--lang', 'ar', 'm.phr']));
  assert.ok(view.includes(`-- ${poLabel('ar', 'ui.merged_at')} 3 ${poLabel('ar', 'ui.merged_by')} `),
    'the merge line in Arabic');
  assert.ok(view.includes(`(${poLabel('ar', 'ui.branch')} B)`), 'branch B named in Arabic');
  assert.ok(!/merged at entry|branch B/.test(view), 'no English merge line in the Arabic column');
  await page.locator('#versions').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(IMAGES, 'web-record-merged-ar.png') });
  await page.context().close();
});
