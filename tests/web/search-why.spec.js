// The Search page says why each name matched in the page's language
// (labels ui.web.why_*), the names themselves as they are.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const lib = require('./lib');
const { poLabel } = require('./forms-lib');

let clinic, s;
before(async () => {
  clinic = lib.makeClinic({ staff: { 'Clara Clerk': 'clerk' } });
  clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples',
    'pregnant-hepatitis-b.json'), '--out', 'z.phr', '--register', clinic.db]);
  await lib.serve(clinic);
  s = await lib.rawLogin(clinic, 'Clara Clerk');
});
after(async () => {
  await lib.stop(clinic);
  lib.cleanup(clinic);
});

async function why(name, lang) {
  const q = new URLSearchParams({ go: '1', name, lang }).toString();
  const r = await lib.request(clinic, `/search?${q}`, { cookie: s.cookie });
  assert.equal(r.status, 200);
  const m = r.body.match(/<td class="muted why">(.*?)<\/td>/);
  assert.ok(m, `a hit for ${name}`);
  return m[1];
}

for (const lang of ['en', 'de', 'ar', 'uk']) {
  test(`why a name matched, in ${lang}`, async () => {
    const full = await why('Zahra Ahmadi', lang);
    assert.ok(full.startsWith(`<bdi>${poLabel(lang, 'ui.web.why_transliterated')}</bdi>`), full);
    assert.match(full, /<bdi dir="ltr"> &#39;zahra&#39;/, 'the names as they are');
    if (lang !== 'en') assert.ok(!full.includes('transliterated:'), full);
    const part = await why('Zahra', lang);
    const names = poLabel(lang, 'ui.web.why_names').replace('%d', '1').replace('%d', '2');
    assert.ok(part.endsWith(`<bdi>${names}</bdi>`), part);
    assert.ok(!part.includes('names)') || lang === 'en', part);
  });
}
