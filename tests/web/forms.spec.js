// The "New assessment" and "Follow-up" forms in the browser: example
// records typed into the form and signed come back, through the command
// (phr register export, phr show --format json), equal to examples/*.json;
// a lab result with a PDF; the draft kept across a reload; the same in
// Arabic with a validation message in Arabic; clerks refused.
//
// What the form cannot know, and so is not compared:
//  - "kind": the form decides it (assessment; follow_up);
//  - "documents" of an entry: made from the uploaded file (hash, size and
//    media type by its content), compared here with the reference
//    examples/entries/document-lab-result.json holds for the same file.
// Everything else an example holds is typed in and must come back.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');

const IMAGES = path.join(lib.SRC, 'docs/images');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic);
  br = await lib.browser();
});
after(async () => {
  if (br) await br.close();
  if (clinic) {
    const code = await lib.stop(clinic);
    assert.equal(code, 0, `phr serve exit status (log:\n${clinic.serverLog})`);
    lib.cleanup(clinic);
  }
});

function example(rel) {
  return JSON.parse(fs.readFileSync(path.join(lib.SRC, rel), 'utf8'));
}

// The test's own mapping of an entry to form fields: "e." and the JSON
// path, array positions as numbers; strings as they are, numbers as
// JavaScript prints them, true/false. "kind" and "documents" are left out.
function fieldsOf(entry) {
  const out = [];
  const walk = (v, name) => {
    if (Array.isArray(v)) v.forEach((c, i) => walk(c, `${name}.${i}`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        if (name === 'e' && (k === 'kind' || k === 'documents')) continue;
        walk(c, `${name}.${k}`);
      }
    } else out.push([name, String(v)]);
  };
  walk(entry, 'e');
  return out;
}

// The label of a key in a language, read from layouts/po (not from phr).
function poLabel(lang, key) {
  const text = fs.readFileSync(path.join(lib.SRC, `layouts/po/${lang}.po`), 'utf8');
  const m = text.match(new RegExp(`msgid "${key.replace(/\./g, '\\.')}"\\nmsgstr "([^"]*)"`));
  assert.ok(m, `${key} in ${lang}.po`);
  return m[1];
}

// Types the entry into the form as a person would: a row is added with the
// group's "Add" button when the form has none for it yet; choices picked in
// their list; a few coded fields typed as their label (codeLabels: name ->
// label) and picked from the list by the browser's own matching.
async function fillForm(page, entry, { codeLabels = {} } = {}) {
  for (const [name, value] of fieldsOf(entry)) {
    let el = page.locator(`[name="${name}"]`);
    if (await el.count() === 0) {
      const segs = name.split('.');
      let i = segs.length - 1;
      while (i > 0 && !/^\d+$/.test(segs[i])) i--;
      const group = segs.slice(0, i).join('.');
      await page.click(`.phr-array[data-name="${group}"] > .phr-add`);
      el = page.locator(`[name="${name}"]`);
    }
    assert.equal(await el.count(), 1, `the form has one field ${name}`);
    const tag = await el.evaluate((n) => n.tagName);
    if (tag === 'SELECT') await el.selectOption(value);
    else await el.fill(codeLabels[name] || value);
  }
}

async function review(page) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('#phr-review')]);
  return resp;
}

async function sign(page) {
  await page.locator('.phr-summary').waitFor();
  await Promise.all([page.waitForNavigation(), page.click('#phr-sign')]);
  const id = (await page.textContent('#phr-signed-id')).trim();
  assert.match(id, /^[0-9a-f]{32}$/);
  return id;
}

// The record as the command reads it from the register.
function showJson(id) {
  const out = clinic.file(`${id}.phr`);
  clinic.phr(['register', 'export', clinic.db, id, '--out', out]);
  return JSON.parse(clinic.phr(['show', '--format', 'json', '--trust', 'trust.bundle', out]));
}

function assertContent(got, want, what) {
  const w = { ...want };
  delete w.documents;
  assert.deepEqual(got, w, `${what}: the signed content is the example`);
}

const signed = {};

for (const rel of ['examples/child-no-vaccination-documents.json', 'examples/adult-tb-positive-referral.json']) {
  test(`a clinician fills and signs ${path.basename(rel)} through the form`, async () => {
    const want = example(rel);
    const page = await lib.login(br, clinic, 'Nadia K.');
    await page.goto(`${clinic.url}/assess`);
    assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
    // the first vaccine picked by its English label, as a nurse types it
    const codeLabels = {};
    if (want.vaccinations) codeLabels['e.vaccinations.0.vaccine'] = poLabel('en', `code.atc.${want.vaccinations[0].vaccine.slice(4)}`);
    await fillForm(page, want, { codeLabels });
    const resp = await review(page);
    assert.equal(resp.status(), 200, await page.content());
    // the summary names what will be signed, in words
    const summary = await page.textContent('.phr-summary');
    assert.ok(summary.includes(poLabel('en', 'field.identity.birth_date')));
    if (rel.includes('child')) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: path.join(IMAGES, 'web-assessment-review-en.png') });
    }
    const id = await sign(page);
    signed[rel] = id;
    const rec = showJson(id);
    assert.equal(rec.verified, true);
    assert.equal(rec.entries.length, 1);
    assertContent(rec.entries[0].content, want, rel);
    // the audit names the staff member who signed
    const rows = lib.audit(clinic);
    assert.ok(rows.some((r) => JSON.stringify(r).includes('Nadia K.') && JSON.stringify(r).includes(id.slice(0, 8))),
      'an audit row for the signature with the staff name');
    await page.context().close();
  });
}

test('a lab result with its PDF extends the record', async () => {
  const id = signed['examples/adult-tb-positive-referral.json'];
  assert.ok(id, 'the assessment above was signed');
  const want = example('examples/entries/lab-result-referral.json');
  const docRef = example('examples/entries/document-lab-result.json').documents[0];
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(`${clinic.url}/record/${id}/followup?kind=followup-lab`);
  await fillForm(page, want);
  await page.setInputFiles('#document', path.join(lib.SRC, 'tests/data/lab-result.pdf'));
  await page.selectOption('#doc_type', docRef.type);
  await page.fill('#doc_title', docRef.title);
  const resp = await review(page);
  assert.equal(resp.status(), 200, await page.content());
  assert.ok((await page.textContent('.phr-summary')).includes(docRef.title));
  const id2 = await sign(page);
  assert.equal(id2, id, 'the same record, extended');
  const rec = showJson(id);
  assert.equal(rec.verified, true);
  assert.equal(rec.entries.length, 2);
  const content = rec.entries[1].content;
  // the reference made from the upload is the one the example holds for the file
  assert.deepEqual(content.documents, [docRef]);
  const typed = { ...content };
  delete typed.documents;
  assertContent(typed, want, 'lab-result-referral.json');
  // the register keeps the document's bytes under the record
  const docs = clinic.phr(['register', 'documents', clinic.db, id]);
  assert.ok(docs.includes(docRef.hash.slice(0, 16)), docs);
  await page.context().close();
});

test('a vaccination given, from the record page\'s follow-up button', async () => {
  const id = signed['examples/child-no-vaccination-documents.json'];
  assert.ok(id, 'the assessment above was signed');
  const want = example('examples/entries/vaccination-given.json');
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(`${clinic.url}/record/${id}`);
  await Promise.all([page.waitForNavigation(), page.click('#extend')]);
  assert.equal(new URL(page.url()).pathname, `/record/${id}/followup`);
  // the vaccination form opens with today's dose given here
  assert.equal(await page.inputValue('[name="e.vaccinations.0.source"]'), 'given');
  await fillForm(page, want);
  assert.equal((await review(page)).status(), 200);
  assert.equal(await sign(page), id);
  const rec = showJson(id);
  assert.equal(rec.entries.length, 2);
  assertContent(rec.entries[1].content, want, 'vaccination-given.json');
  await page.context().close();
});

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
  const id = await sign(page);
  const rec = showJson(id);
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

test('clerks cannot open or post the forms', async () => {
  const s = await lib.rawLogin(clinic, 'Clara Clerk');
  assert.equal((await lib.request(clinic, '/assess', { cookie: s.cookie })).status, 403);
  const id = signed['examples/child-no-vaccination-documents.json'] || '0'.repeat(32);
  assert.equal((await lib.request(clinic, `/record/${id}/followup`, { cookie: s.cookie })).status, 403);
  const body = new URLSearchParams({ csrf: s.csrf || '', action: 'sign', 'e.date': '2025-06-15', 'e.notes': 'x' })
    .toString();
  const res = await lib.request(clinic, `/record/${id}/followup?kind=followup-note`, { method: 'POST', body,
    cookie: s.cookie, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 403);
  // and a clinician's post without the CSRF token is refused
  const c = await lib.rawLogin(clinic, 'Nadia K.');
  assert.equal((await lib.request(clinic, `/record/${'ab'.repeat(16)}/followup`, { cookie: c.cookie })).status, 404,
    'no follow-up form for a record the register does not hold');
  const res2 = await lib.request(clinic, '/assess', { method: 'POST', cookie: c.cookie,
    body: 'action=sign&e.date=2025-06-15', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(res2.status, 403);
});
