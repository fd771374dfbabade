#!/usr/bin/env node
// Round trip check: the fields docs/FHIR.md says map exactly must come back equal
// after export -> import -> issue. This file states the list itself (not read from
// fhir/ips-map.tsv), so a wrong table cannot make the test agree with itself.
// usage: node exact.js ORIGINAL.json BACK.json [ORIGINAL.json BACK.json ...]
// Arrays are compared as multisets (the import groups items by IPS section).
'use strict';
const fs = require('fs');

const pick = (o, keys) => {
  if (!o) return undefined;
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return Object.keys(r).length ? r : undefined;
};
const items = (a, keys, fix) => (a || []).map((x) => pick(fix ? fix(x) : x, keys)).filter(Boolean).map((x) => JSON.stringify(x)).sort();

function project(e) {
  const id = e.identity || {};
  const langs = new Set(id.languages || []);
  if (id.preferred_language) langs.add(id.preferred_language); // a preferred language is one spoken
  return {
    names: items(id.names, ['family', 'given', 'lang']),
    identity: pick(id, ['birth_date', 'sex', 'nationality', 'preferred_language', 'interpreter']),
    languages: [...langs].sort(),
    history: items(e.history, ['code', 'category', 'onset', 'status', 'note'], (h) => {
      const x = { ...h };
      if (x.status === 'unknown' || x.category === 'surgery') delete x.status; // no FHIR clinicalStatus for them
      return x;
    }),
    medications: items(e.medications, ['code', 'dosage', 'since', 'note']),
    allergies: items(e.allergies, ['code', 'criticality', 'reaction']),
    vaccinations: items(e.vaccinations, ['vaccine', 'dose', 'of', 'date', 'country', 'lot', 'source']),
    results: items(e.results, ['test', 'date', 'result', 'value', 'unit', 'note'], (r) => {
      const x = { ...r };
      if (x.result === 'not_done') delete x.value; // obs-6: no value beside dataAbsentReason
      if (x.value === undefined) delete x.unit;
      return x;
    }),
    vitals: items(e.vitals, ['code', 'value', 'unit']),
    pregnancy: pick(e.pregnancy, ['status', 'expected_delivery', 'gravida', 'para']),
    mental_health: pick(e.mental_health, ['screening', 'tool', 'note']),
    diagnoses: items(e.diagnoses, ['code', 'note']),
    treatments: items(e.treatments, ['code', 'dosage', 'note']),
    referrals: items((e.plan || {}).referrals, ['reason', 'to', 'urgency']),
    plan: pick(e.plan, ['follow_up', 'notes']),
    author: pick(e.author, ['professional']),
  };
}

const args = process.argv.slice(2);
let failed = 0;
for (let i = 0; i + 1 < args.length; i += 2) {
  const a = project(JSON.parse(fs.readFileSync(args[i], 'utf8')));
  const b = project(JSON.parse(fs.readFileSync(args[i + 1], 'utf8')));
  const diffs = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (diffs.length) {
    failed++;
    console.log(`FAIL ${args[i]} -> ${args[i + 1]}: ${diffs.map((k) => `${k}: ${JSON.stringify(a[k])} != ${JSON.stringify(b[k])}`).join(' | ').slice(0, 900)}`);
  }
}
console.log(`${args.length / 2 - failed} passed, ${failed} failed`);
process.exit(failed || !args.length ? 1 : 0);
