// The entry forms in Arabic (dir=rtl, a validation message in Arabic naming
// the field, then signed and read back equal to the example), a draft
// kept across a page reload, and the screenshots of the assessment form in
// English and Arabic (docs/images). What the form cannot know: forms.spec.js.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const lib = require('./lib');
const { IMAGES, example, poLabel, fillForm, review, sign, showJson: show, assertContent } = require('./forms-lib');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));
const showJson = (id, key) => show(clinic, id, key);

test('a draft survives a page reload', async () => {
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(`${clinic.url}/assess`);
  await page.fill('[name="e.identity.birth_date"]', '1987-02');
  await page.click('.phr-array[data-name="e.history"] > .phr-add');
  await page.fill('[name="e.history.1.code"]', 'icd11:5A11');
  await page.reload();
  assert.equal(await page.inputValue('[name="e.identity.birth_date"]'), '1987-02');
  assert.equal(await page.inputValue('[name="e.history.1.code"]'), 'icd11:5A11');
  assert.equal(await page.isVisible('#phr-draft-note'), true);
  await page.click('#phr-draft-discard');
  await page.waitForLoadState('load');
  await page.locator('[name="e.identity.birth_date"]').waitFor();
  assert.equal(await page.inputValue('[name="e.identity.birth_date"]'), '');
  await page.context().close();
});

test('in Arabic: right to left, a message in Arabic naming the field, then signed', async () => {
  const rel = 'examples/pregnant-hepatitis-b.json';
  const want = example(rel);
  const page = await lib.login(br, clinic, 'Nadia K.', { lang: 'ar' });
  await page.goto(`${clinic.url}/assess?lang=ar`);
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.ok((await page.textContent('#sec-identity h2')).includes(poLabel('ar', 'field.identity')));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(IMAGES, 'web-assessment-ar.png') });
  await fillForm(page, want);
  // a month that does not exist
  await page.fill('[name="e.pregnancy.expected_delivery"]', '2025-13-20');
  const resp = await review(page);
  assert.equal(resp.status(), 422);
  const msg = await page.textContent('[id="err-e.pregnancy.expected_delivery"]');
  assert.ok(msg.startsWith(`${poLabel('ar', 'field.pregnancy.expected_delivery')}: `), msg);
  assert.ok(msg.includes('يُتوقع تاريخ'), msg);
  await page.screenshot({ path: path.join(IMAGES, 'web-assessment-ar-error.png') });
  // what was typed is still there; corrected, it signs
  assert.equal(await page.inputValue('[name="e.identity.names.0.family"]'), want.identity.names[0].family);
  await page.fill('[name="e.pregnancy.expected_delivery"]', want.pregnancy.expected_delivery);
  assert.equal((await review(page)).status(), 200);
  const { id, key } = await sign(page);
  assert.ok(key, 'the holder key on the signed page');
  const rec = showJson(id, key);
  assertContent(rec.entries[0].content, want, rel);
  await page.context().close();
});

test('the assessment form in English (screenshot)', async () => {
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${clinic.url}/assess`);
  await page.fill('[name="e.identity.birth_date"]', '2021-03');
  await page.fill('[name="e.vaccinations.0.vaccine"]', 'measles');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(IMAGES, 'web-assessment-en.png') });
  await page.context().close();
});

