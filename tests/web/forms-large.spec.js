// A large assessment: more posted fields than the server once took (512),
// within the entry form parser's limit (PHR_WEB_FORM_MAX_FIELDS), signs and
// comes back from the register whole.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const lib = require('./lib');
const fl = require('./forms-lib');

let clinic;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic);
});
after(async () => {
  await lib.stop(clinic);
  lib.cleanup(clinic);
});

test('an assessment with 64 vaccination rows (over 512 fields) signs', async () => {
  const entry = fl.example('examples/child-no-vaccination-documents.json');
  const rows = [];
  // 64: the schema's most items in an array (PHR_MAX_ARRAY)
  for (let i = 0; i < 64; i++) {
    const v = { ...entry.vaccinations[i % entry.vaccinations.length] };
    v.lot = `LOT${String(i).padStart(4, '0')}`;
    rows.push(v);
  }
  entry.vaccinations = rows;
  // and, as a browser posts them, empty inputs of rows left blank
  const fields = fl.fieldsOf(entry);
  for (let i = 0; i < 64; i++) fields.push([`e.history.${100 + i}.code`, '']);
  assert.ok(fields.length > 512, `${fields.length} fields`);
  const { cookie, csrf } = await lib.rawLogin(clinic, 'Nadia K.');
  const body = new URLSearchParams([['csrf', csrf], ['action', 'sign'], ...fields]).toString();
  const res = await lib.request(clinic, '/assess', { method: 'POST', body, cookie,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 200, res.body.slice(0, 2000));
  const id = res.body.match(/id="phr-signed-id"[^>]*>\s*(?:<[^>]+>)*\s*([0-9a-f]{32})/);
  assert.ok(id, 'the signed page names the record');
  const key = res.body.match(/id="phr-holder-key"[^>]*>([A-Z0-9-]+)</);
  const got = fl.showJson(clinic, id[1], key && key[1]);
  assert.equal(got.entries.length, 1);
  const content = got.entries[0].content;
  assert.equal(content.vaccinations.length, 64);
  assert.deepEqual(content.vaccinations.map((v) => v.lot), rows.map((v) => v.lot));
  fl.assertContent(content, entry, 'the large assessment');
});
