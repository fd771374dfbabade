// Staff accounts, the Trust page and Reports in the browser: an admin adds
// an account that then signs in, changes a role and disables an account
// (its session ends at once); the bundle's version and age, with a warning
// when it is old; a newer bundle imported, one from an unpinned authority
// refused; a report shown and downloaded, in English and Arabic.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  for (const ex of ['adult-tb-positive-referral', 'older-man-chronic', 'pregnant-hepatitis-b'])
    clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', path.join(lib.SRC, 'examples', `${ex}.json`),
      '--out', `${ex}.phr`, '--register', clinic.db]);
  await lib.serve(clinic);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));

test('an admin adds an account; it signs in; disabled, its session ends', async () => {
  const admin = await lib.login(br, clinic, 'Adam Admin');
  await admin.goto(`${clinic.url}/users`);
  await admin.fill('#new-name', 'Omar Nurse');
  await admin.selectOption('#user-add select[name=role]', 'clinician');
  await admin.fill('#new-password', lib.PASSWORD);
  await Promise.all([admin.waitForNavigation(), admin.click('#user-add-go')]);
  assert.match(await admin.textContent('#message'), /Account added/);
  assert.match(clinic.phr(['register', 'user', 'list', clinic.db]), /Omar Nurse\s+clinician/);
  // the same name again is refused, with the register's reason
  await admin.fill('#new-name', 'Omar Nurse');
  await admin.fill('#new-password', lib.PASSWORD);
  await Promise.all([admin.waitForNavigation(), admin.click('#user-add-go')]);
  assert.match(await admin.textContent('#message'), /exists already/);

  const omar = await lib.login(br, clinic, 'Omar Nurse');
  assert.equal(await omar.textContent('#user'), 'Omar Nurse');
  // the admin disables him: his next request has no session, and he cannot sign in
  await admin.goto(`${clinic.url}/users`);
  const row = admin.locator('#users tr', { hasText: 'Omar Nurse' });
  await Promise.all([admin.waitForNavigation(), row.locator('input[value=disable] ~ button').click()]);
  assert.match(clinic.phr(['register', 'user', 'list', clinic.db]), /Omar Nurse\s+clinician.*disabled/);
  await omar.goto(`${clinic.url}/search`);
  assert.match(omar.url(), /\/login$/);
  await omar.fill('#name', 'Omar Nurse');
  await omar.fill('#password', lib.PASSWORD);
  const [resp] = await Promise.all([omar.waitForNavigation(), omar.click('#login')]);
  assert.equal(resp.status(), 401);
  // the audit names the admin for each change
  const rows = lib.audit(clinic).filter((r) => r.action === 'user');
  assert.ok(rows.some((r) => r.who === 'Adam Admin (admin, web)' && /added Omar Nurse as clinician/.test(r.detail)));
  assert.ok(rows.some((r) => r.who === 'Adam Admin (admin, web)' && /changed Omar Nurse: disabled/.test(r.detail)));
  // an admin cannot disable herself
  await admin.goto(`${clinic.url}/users`);
  const me = admin.locator('#users tr', { hasText: 'Adam Admin' });
  await Promise.all([admin.waitForNavigation(), me.locator('input[value=disable] ~ button').click()]);
  assert.match(await admin.textContent('#message'), /cannot disable your own account/);
  await admin.context().close();
  await omar.context().close();
});

test('the Trust page: version and age; a newer bundle imported; one from another authority refused', async () => {
  const page = await lib.login(br, clinic, 'Adam Admin');
  await page.goto(`${clinic.url}/trust`);
  const v1 = Number(await page.textContent('#trust-version'));
  assert.ok(v1 > 0);
  assert.match(await page.textContent('#trust-age'), /Age in days: 0/);
  assert.equal(await page.locator('#trust-warning').count(), 0);
  // a newer bundle from the pinned authority
  clinic.phr(['trust', 'build', '--key', 'auth.key', '--cert', 'c1.cert', '--version', `${v1 + 1}`, '--out', 'new.bundle']);
  await page.setInputFiles('#bundle', clinic.file('new.bundle'));
  await Promise.all([page.waitForNavigation(), page.click('#trust-go')]);
  assert.match(await page.textContent('#message'), /checked and is in use/);
  assert.equal(Number(await page.textContent('#trust-version')), v1 + 1);
  assert.ok(fs.readFileSync(clinic.file('trust.bundle')).equals(fs.readFileSync(clinic.file('new.bundle'))),
    'the --trust file is replaced');
  // a bundle signed by an authority this installation has not pinned
  clinic.phr(['authority', 'init', '--name', 'Other Authority', '--country', 'XX', '--out', 'other.key']);
  clinic.phr(['trust', 'build', '--key', 'other.key', '--version', `${v1 + 2}`, '--out', 'bad.bundle']);
  await page.setInputFiles('#bundle', clinic.file('bad.bundle'));
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('#trust-go')]);
  assert.equal(resp.status(), 400);
  assert.match(await page.textContent('#message'), /The bundle was refused/);
  assert.equal(Number(await page.textContent('#trust-version')), v1 + 1);
  // a clerk sees the page, without the import form
  const clerk = await lib.login(br, clinic, 'Clara Clerk');
  await clerk.goto(`${clinic.url}/trust`);
  assert.equal(await clerk.locator('#trust-form').count(), 0);
  await clerk.context().close();
  await page.context().close();
});

test('an old bundle is flagged on the Trust page', async () => {
  // the same clinic's server 45 days later (the bundle lasts 90)
  const later = { ...clinic, env: { ...clinic.env, PHR_NOW: '2025-07-30' }, url: null, server: null };
  await lib.serve(later);
  try {
    const page = await lib.login(br, later, 'Clara Clerk');
    await page.goto(`${later.url}/trust`);
    assert.match(await page.textContent('#trust-warning'), /45 days old: ask the health authority for a new one/);
    await page.context().close();
  } finally {
    await lib.stop(later);
  }
  // with --trust-warn 60 the same bundle is not old yet
  const lenient = { ...later, url: null, server: null };
  await lib.serve(lenient, ['--trust-warn', '60']);
  try {
    const page = await lib.login(br, lenient, 'Clara Clerk');
    await page.goto(`${lenient.url}/trust`);
    assert.match(await page.textContent('#trust-age'), /Age in days: 45/);
    assert.equal(await page.locator('#trust-warning').count(), 0);
    await page.context().close();
  } finally {
    await lib.stop(lenient);
  }
});

test('Reports: shown on the page, downloaded as CSV and PDF, in Arabic right to left', async () => {
  const page = await lib.login(br, clinic, 'Clara Clerk');
  await page.goto(`${clinic.url}/reports`);
  await page.fill('#from', '2025-01-01');
  await page.fill('#to', '2025-12-31');
  await Promise.all([page.waitForNavigation(), page.click('#report-show')]);
  const text = await page.textContent('#report');
  const cli = clinic.phr(['register', 'report', clinic.db, '--from', '2025-01-01', '--to', '2025-12-31', '--out', '-']);
  // the same report as the command's, apart from the line with the date of the report
  const strip = (s) => s.split('\n').filter((l) => !/20\d\d-\d\d-\d\dT/.test(l)).join('\n');
  assert.equal(strip(text), strip(cli));
  // the charts: a bar per headline indicator, its number the report's total
  // over the whole period (or the suppressed text), read from the command's
  // JSON; a line per indicator across the months
  const json = JSON.parse(clinic.phr(['register', 'report', clinic.db, '--from', '2025-01-01', '--to', '2025-12-31',
    '--format', 'json', '--out', '-']));
  const bars = await page.$$eval('#report-charts .bar-row', (rows) => rows.map((r) => ({
    id: r.dataset.id, value: r.querySelector('.bar-value').textContent,
    hatched: r.querySelector('svg.bar').classList.contains('suppressed') })));
  assert.ok(bars.length >= 3, `headline bars drawn (${bars.length})`);
  for (const b of bars) {
    const t = json.tables.find((x) => x.id === b.id);
    assert.ok(t, `bar ${b.id} is a table of the report`);
    const total = t.rows.find((r) => r.total).persons;
    assert.equal(b.value, String(total[total.length - 1]), `bar ${b.id}`);
    assert.equal(b.hatched, b.value === json.suppressed, `bar ${b.id}: hatched exactly when suppressed`);
  }
  // a line per indicator across the months, with a gap wherever a month is suppressed
  assert.equal((await page.$$('#report-charts svg.lines')).length, 1, 'the line chart');
  const shownMonths = bars.filter((b) => {
    const total = json.tables.find((x) => x.id === b.id).rows.find((r) => r.total).persons.slice(0, -1);
    return total.some((v) => v !== json.suppressed);
  }).length;
  assert.ok((await page.$$('#report-charts svg.lines polyline')).length >= shownMonths, 'a line per shown indicator');
  assert.ok(!(await page.innerHTML('#report-charts')).includes('NaN'), 'no NaN drawn');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
  const csvFile = clinic.file('r.csv');
  await csv.saveAs(csvFile);
  const cliCsv = clinic.phr(['register', 'report', clinic.db, '--from', '2025-01-01', '--to', '2025-12-31',
    '--format', 'csv', '--out', '-']);
  assert.equal(fs.readFileSync(csvFile, 'utf8'), cliCsv);
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('#report-pdf')]);
  const pdfFile = clinic.file('r.pdf');
  await pdf.saveAs(pdfFile);
  assert.equal(fs.readFileSync(pdfFile).subarray(0, 5).toString(), '%PDF-');
  await page.context().close();
  const ar = await lib.login(br, clinic, 'Clara Clerk', { lang: 'ar' });
  await ar.goto(`${clinic.url}/reports?from=2025-01-01&to=2025-12-31&format=text`);
  assert.equal(await ar.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await ar.getAttribute('#report', 'dir'), 'rtl');
  const arCli = clinic.phr(['register', 'report', clinic.db, '--from', '2025-01-01', '--to', '2025-12-31', '--lang', 'ar',
    '--out', '-']);
  assert.equal(strip(await ar.textContent('#report')), strip(arCli));
  assert.ok((await ar.$$('#report-charts .bar-row')).length >= 3, 'the charts in Arabic too');
  await ar.context().close();
});
