// Shared by the browser tests of the entry forms (forms*.spec.js): the
// test's own mapping of an entry to form fields, typing it in, reviewing,
// signing, and reading the signed record back through the command.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');

// Screenshots go to a scratch folder, so a test run leaves the checkout as
// it was; PHR_SCREENSHOTS=docs/images (by hand, after a change to a page)
// refreshes the committed ones.
const IMAGES = process.env.PHR_SCREENSHOTS
  ? path.resolve(lib.SRC, process.env.PHR_SCREENSHOTS)
  : fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'phr-web-shots-'));

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
  const tagOf = (name) => page.evaluate((n) => {
    const els = [...document.getElementsByName(n)].filter((e) => !e.closest('template'));
    return els.length === 1 ? els[0].tagName : els.length;
  }, name);
  for (const [name, value] of fieldsOf(entry)) {
    let tag = await tagOf(name);
    if (tag === 0) {
      const segs = name.split('.');
      let i = segs.length - 1;
      while (i > 0 && !/^\d+$/.test(segs[i])) i--;
      const group = segs.slice(0, i).join('.');
      await page.click(`.phr-array[data-name="${group}"] > .phr-add`);
      tag = await tagOf(name);
    }
    assert.ok(typeof tag === 'string', `the form has one field ${name}`);
    const el = page.locator(`[name="${name}"]`);
    if (tag === 'SELECT') await el.selectOption(value);
    else await el.fill(codeLabels[name] || value);
  }
}

async function review(page) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('#phr-review')]);
  return resp;
}

// Signs; returns the record id and, for a new record, the holder key the
// page shows once.
async function sign(page) {
  await page.locator('.phr-summary').waitFor();
  await Promise.all([page.waitForNavigation(), page.click('#phr-sign')]);
  const id = (await page.textContent('#phr-signed-id')).trim();
  assert.match(id, /^[0-9a-f]{32}$/);
  const keyEl = page.locator('#phr-holder-key');
  const key = (await keyEl.count()) ? (await keyEl.textContent()).trim() : null;
  return { id, key };
}

// The record as the command reads it from the register, its sealed
// sections opened with the holder key when one is given.
function showJson(clinic, id, key) {
  const out = clinic.file(`${id}.phr`);
  clinic.phr(['register', 'export', clinic.db, id, '--out', out]);
  const args = ['show', '--format', 'json', '--trust', 'trust.bundle'];
  if (key) {
    fs.writeFileSync(clinic.file(`${id}.key.txt`), `${key}\n`);
    args.push('--holder-key', clinic.file(`${id}.key.txt`));
  }
  return JSON.parse(clinic.phr([...args, out]));
}

function assertContent(got, want, what) {
  const w = { ...want };
  delete w.documents;
  assert.deepEqual(got, w, `${what}: the signed content is the example`);
}

module.exports = { IMAGES, example, fieldsOf, poLabel, fillForm, review, sign, showJson, assertContent };
