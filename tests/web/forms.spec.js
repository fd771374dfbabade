// The "New assessment" and "Follow-up" forms in the browser: example
// records typed into the form and signed come back, through the command
// (phr register export, phr show --format json), equal to examples/*.json;
// a lab result with a PDF; a vaccination given; clerks refused.
//
// The Arabic flow, the draft and the screenshots: forms-ar.spec.js.
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
const { IMAGES, example, poLabel, fillForm, review, sign, showJson: show, assertContent } = require('./forms-lib');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));

const signed = {};
const showJson = (id, key) => show(clinic, id, key);
const keys = {};

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
    const { id, key } = await sign(page);
    signed[rel] = id;
    // a new record: its holder key, shown once, seals the sensitive sections
    assert.match(key, /^[A-Z2-7]{4}(-[A-Z2-7]{1,4})+$/, 'the holder key on the signed page');
    keys[id] = key;
    const rec = showJson(id, key);
    assert.equal(rec.verified, true);
    assert.equal(rec.entries.length, 1);
    assertContent(rec.entries[0].content, want, rel);
    // without the key the sealed sections are not there (notes, mental health)
    const closed = showJson(id, null).entries[0].content;
    assert.equal(closed.notes, undefined, 'notes sealed');
    assert.equal(closed.mental_health, undefined, 'mental health sealed');
    assert.deepEqual(closed.identity, want.identity, 'identity stays clear');
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
  await page.fill('#holder_key', keys[id]);
  const resp = await review(page);
  assert.equal(resp.status(), 200, await page.content());
  assert.ok((await page.textContent('.phr-summary')).includes(docRef.title));
  const { id: id2 } = await sign(page);
  assert.equal(id2, id, 'the same record, extended');
  const rec = showJson(id, keys[id]);
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
  await page.fill('#holder_key', 'not-a-key');
  assert.equal((await review(page)).status(), 422, 'a mistyped holder key is refused');
  assert.ok((await page.textContent('[id="err-holder_key"]')).length > 0);
  // a well-formed key, but another record's: refused already at review (it
  // does not open this record's sealed entries), the form again, no summary
  const otherId = signed['examples/adult-tb-positive-referral.json'];
  assert.ok(otherId && keys[otherId] && keys[otherId] !== keys[id], 'another record and its key');
  await page.fill('#holder_key', keys[otherId]);
  const atReview = await review(page);
  assert.equal(atReview.status(), 422, 'another record\'s holder key is refused at review');
  assert.match(await page.textContent('[id="err-holder_key"]'), /does not open this record's sealed sections/);
  assert.equal(await page.locator('.phr-summary').count(), 0, 'no summary to sign shown with the wrong key');
  assert.equal(await page.locator('#phr-sign').count(), 0, 'no sign button with the wrong key');
  // the form kept what was typed
  assert.equal(await page.inputValue('[name="e.vaccinations.0.source"]'), 'given');
  // at signing: a review passed with the right key; the page carries only a
  // token for the key the session keeps, and that token swapped for the one
  // of another record's review (same session, the other record's key) is
  // refused, nothing signed in either record
  await page.fill('#holder_key', keys[id]);
  assert.equal((await review(page)).status(), 200);
  await page.locator('.phr-summary').waitFor();
  assert.equal(await page.locator('#phr-confirm input[name="holder_key"]').count(), 0, 'no key in the review page');
  const other = await page.context().newPage();
  await other.goto(`${clinic.url}/record/${otherId}/followup?kind=followup-note`);
  await other.fill('[name="e.notes"]', 'Not to be signed.');
  await other.fill('#holder_key', keys[otherId]);
  assert.equal((await review(other)).status(), 200);
  const otherToken = await other.inputValue('#phr-confirm input[name="review_token"]');
  assert.match(otherToken, /^[0-9a-f]{64}$/);
  const otherBefore = showJson(otherId, keys[otherId]).entries.length;
  await page.locator('#phr-confirm input[name="review_token"]').evaluate((el, k) => { el.value = k; }, otherToken);
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('#phr-sign')]);
  assert.equal(refused.status(), 422, 'another record\'s review token is refused at signing');
  assert.match(await page.textContent('[id="err-holder_key"]'), /no longer valid/);
  assert.equal(showJson(id, keys[id]).entries.length, 1, 'nothing was signed with the swapped token');
  assert.equal(showJson(otherId, keys[otherId]).entries.length, otherBefore, 'nor in the other record');
  await other.close();
  await page.fill('#holder_key', keys[id]);
  assert.equal((await review(page)).status(), 200);
  assert.equal((await sign(page)).id, id);
  const rec = showJson(id, keys[id]);
  assert.equal(rec.entries.length, 2);
  assertContent(rec.entries[1].content, want, 'vaccination-given.json');
  await page.context().close();
});

test('a holder key a re-keying replaced is refused at review, the new one passes', async () => {
  const id = signed['examples/adult-tb-positive-referral.json'];
  assert.ok(id && keys[id], 'the assessment above was signed');
  // the holder lost the slip: the record re-keyed with the command, the new
  // version filed in the register the server reads
  const early = await lib.login(br, clinic, 'Nadia K.');
  await early.goto(`${clinic.url}/record/${id}/followup?kind=followup-note`);
  await early.fill('[name="e.notes"]', 'Seen before the new slip.');
  await early.fill('#holder_key', keys[id]);
  assert.equal((await review(early)).status(), 200, 'the key in use passes review');
  fs.writeFileSync(clinic.file('old.key.txt'), `${keys[id]}\n`);
  clinic.phr(['register', 'export', clinic.db, id, '--out', clinic.file('rk.phr')]);
  clinic.phr(['rekey', '--key', 'c1.key', '--cert', 'c1.cert', '--trust', 'trust.bundle', '--in', 'rk.phr',
    '--holder-key', 'old.key.txt', '--holder-key-out', 'new.key.txt', '--out', 'rk2.phr']);
  clinic.phr(['register', 'add', '--trust', 'trust.bundle', clinic.db, 'rk2.phr']);
  const before = showJson(id, null).entries.length;
  const newKey = fs.readFileSync(clinic.file('new.key.txt'), 'utf8').trim();
  // the review passed before the re-keying: the key the session kept for it
  // is checked again at signing, and refused there
  assert.match(await early.textContent('.phr-summary'), /Seen before the new slip/);
  const [late] = await Promise.all([early.waitForNavigation(), early.click('#phr-sign')]);
  assert.equal(late.status(), 422, 'the key replaced between review and signing is refused at signing');
  assert.match(await early.textContent('[id="err-holder_key"]'), /does not open this record's sealed sections/);
  assert.equal(showJson(id, null).entries.length, before, 'nothing signed with the replaced key');
  await early.context().close();
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(`${clinic.url}/record/${id}/followup?kind=followup-note`);
  await page.fill('[name="e.notes"]', 'Seen again; no new complaint.');
  await page.fill('#holder_key', keys[id]);
  const resp = await review(page);
  assert.equal(resp.status(), 422, 'the replaced key is refused at review');
  assert.match(await page.textContent('[id="err-holder_key"]'), /does not open this record's sealed sections/);
  assert.equal(await page.locator('#phr-sign').count(), 0);
  await page.fill('#holder_key', newKey);
  assert.equal((await review(page)).status(), 200, 'the new key passes review');
  assert.equal((await sign(page)).id, id);
  assert.equal(showJson(id, newKey).entries.length, before + 1, 'signed, sealed under the new key');
  keys[id] = newKey;
  await page.context().close();
});

// The forms of a holder key as it could be written into a page: as typed
// (groups with dashes), without the dashes, in small letters, with spaces.
function keyForms(key) {
  const groups = key.split('-');
  return [key, groups.join(''), groups.join(' '), key.toLowerCase(), groups.join('').toLowerCase(),
    groups.join(' ').toLowerCase()];
}

function assertNoKey(html, key, what) {
  for (const k of keyForms(key)) assert.ok(!html.includes(k), `${what} does not hold the holder key (${k})`);
}

// The review page's form, to post again later: the page's body replaced by
// it on the follow-up form's address (with this session's CSRF token when
// ownCsrf), then its sign button clicked.
async function confirmHtml(page) {
  return page.locator('#phr-confirm').evaluate((f) => f.outerHTML);
}
async function postAgain(page, url, html, ownCsrf) {
  await page.goto(url);
  await page.evaluate(({ html: h, own }) => {
    const csrf = document.querySelector('input[name="csrf"]').value;
    document.body.innerHTML = h;
    if (own) document.querySelector('#phr-confirm input[name="csrf"]').value = csrf;
  }, { html, own: ownCsrf });
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('#phr-sign')]);
  return resp;
}

test('the holder key stays on the server between review and signing; its token works once', async () => {
  const id = signed['examples/child-no-vaccination-documents.json'];
  assert.ok(id && keys[id], 'the assessment above was signed');
  const url = `${clinic.url}/record/${id}/followup?kind=followup-note`;
  const before = showJson(id, keys[id]).entries.length;
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(url);
  await page.fill('[name="e.notes"]', 'Sealed note, key kept by the server.');
  await page.fill('#holder_key', keys[id]);
  const resp = await review(page);
  assert.equal(resp.status(), 200);
  await page.locator('.phr-summary').waitFor();
  // the page as sent and as the browser holds it: no key, a token instead
  assertNoKey(await resp.text(), keys[id], 'the review page as sent');
  assertNoKey(await page.content(), keys[id], 'the review page in the browser');
  assert.equal(await page.locator('input[name="holder_key"]').count(), 0);
  assert.match(await page.inputValue('#phr-confirm input[name="review_token"]'), /^[0-9a-f]{64}$/);
  assert.equal(await page.locator('#phr-unsealed').count(), 0, 'the entry is to be sealed');
  const form = await confirmHtml(page);
  assert.equal((await sign(page)).id, id);
  // sealed under the key: the note opens with it and not without
  const rec = showJson(id, keys[id]);
  assert.equal(rec.entries.length, before + 1);
  assert.equal(rec.entries[before].content.notes, 'Sealed note, key kept by the server.');
  assert.equal(showJson(id, null).entries[before].content.notes, undefined, 'the note is sealed');
  // the same review posted again: its token was used, refused, nothing signed
  const again = await postAgain(page, url, form, false);
  assert.equal(again.status(), 422, 'a used review token is refused');
  assert.match(await page.textContent('[id="err-holder_key"]'), /no longer valid/);
  assert.equal(showJson(id, keys[id]).entries.length, before + 1, 'nothing signed again');
  await page.context().close();
});

test('a review token is refused in another session, and still works in its own', async () => {
  const id = signed['examples/child-no-vaccination-documents.json'];
  assert.ok(id && keys[id], 'the assessment above was signed');
  const url = `${clinic.url}/record/${id}/followup?kind=followup-note`;
  const before = showJson(id, keys[id]).entries.length;
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(url);
  await page.fill('[name="e.notes"]', 'Reviewed in one session.');
  await page.fill('#holder_key', keys[id]);
  assert.equal((await review(page)).status(), 200);
  await page.locator('.phr-summary').waitFor();
  const form = await confirmHtml(page);
  // another browser context: another session (the same clinician), its own
  // CSRF token, the first session's review token
  const elsewhere = await lib.login(br, clinic, 'Nadia K.');
  const resp = await postAgain(elsewhere, url, form, true);
  assert.equal(resp.status(), 422, 'another session\'s review token is refused');
  assert.match(await elsewhere.textContent('[id="err-holder_key"]'), /no longer valid/);
  assert.equal(showJson(id, keys[id]).entries.length, before, 'nothing signed from the other session');
  await elsewhere.context().close();
  // the session that reviewed still signs with it
  assert.equal((await sign(page)).id, id);
  const rec = showJson(id, keys[id]);
  assert.equal(rec.entries.length, before + 1);
  assert.equal(rec.entries[before].content.notes, 'Reviewed in one session.');
  await page.context().close();
});

test('back to the form from the review: the kept key is wiped, its token refused', async () => {
  const id = signed['examples/child-no-vaccination-documents.json'];
  assert.ok(id && keys[id], 'the assessment above was signed');
  const url = `${clinic.url}/record/${id}/followup?kind=followup-note`;
  const before = showJson(id, keys[id]).entries.length;
  const page = await lib.login(br, clinic, 'Nadia K.');
  await page.goto(url);
  await page.fill('[name="e.notes"]', 'Changed my mind.');
  await page.fill('#holder_key', keys[id]);
  assert.equal((await review(page)).status(), 200);
  await page.locator('.phr-summary').waitFor();
  const form = await confirmHtml(page);
  const [back] = await Promise.all([page.waitForNavigation(), page.click('#phr-back')]);
  assert.equal(back.status(), 200);
  // the form with what was typed, the key to type again
  assert.equal(await page.inputValue('[name="e.notes"]'), 'Changed my mind.');
  assert.equal(await page.inputValue('#holder_key'), '');
  assertNoKey(await back.text(), keys[id], 'the form after going back');
  const resp = await postAgain(page, url, form, false);
  assert.equal(resp.status(), 422, 'the token of a review left for the form is refused');
  assert.match(await page.textContent('[id="err-holder_key"]'), /no longer valid/);
  assert.equal(showJson(id, keys[id]).entries.length, before, 'nothing signed');
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
