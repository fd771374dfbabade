// Signing in and out in the browser: the session cookie's flags, a wrong
// password, the audit row naming the staff member, the idle timeout.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const lib = require('./lib');

let clinic, br;
before(async () => {
  clinic = lib.makeClinic();
  await lib.serve(clinic, ['--idle', '10']);
  br = await lib.browser();
});
after(() => lib.shutdown(br, clinic));

test('a page without a session goes to the sign-in form', async () => {
  const ctx = await br.newContext();
  const page = await ctx.newPage();
  await page.goto(`${clinic.url}/scan`);
  assert.match(page.url(), /\/login$/);
  assert.equal(await page.locator('#login').count(), 1);
  await ctx.close();
});

test('a clinician signs in, sees her name and role, the cookie is HttpOnly and SameSite=Strict', async () => {
  const page = await lib.login(br, clinic, 'Nadia K.');
  assert.match(page.url(), /\/scan$/);
  assert.equal(await page.textContent('#user'), 'Nadia K.');
  const cookies = await page.context().cookies();
  const s = cookies.find((c) => c.name === 'phr_session');
  assert.ok(s, 'a session cookie');
  assert.equal(s.httpOnly, true);
  assert.equal(s.sameSite, 'Strict');
  assert.match(s.value, /^[0-9a-f]{64}$/);
  // the menu shows the pages of her role, not the admin's
  assert.equal(await page.locator('nav a[href="/users"]').count(), 0);
  assert.equal(await page.locator('nav a[href="/scan"]').count(), 1);
  // signing out ends the session on the server, not only in the browser
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
  assert.match(page.url(), /\/login$/);
  const res = await lib.request(clinic, '/scan', { cookie: `phr_session=${s.value}` });
  assert.equal(res.status, 303, 'the old session cookie no longer works');
  await page.context().close();
});

test('a wrong password is refused and written to the audit, never the password', async () => {
  const ctx = await br.newContext();
  const page = await ctx.newPage();
  await page.goto(`${clinic.url}/login`);
  await page.fill('#name', 'Nadia K.');
  await page.fill('#password', 'not the password at all');
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('#login')]);
  assert.equal(resp.status(), 401);
  assert.match(await page.textContent('#error'), /Wrong name or password/);
  const rows = lib.audit(clinic);
  assert.ok(rows.some((r) => r.action === 'login' && /failed sign-in as Nadia K\./.test(r.detail)));
  assert.ok(rows.some((r) => r.action === 'login' && /Nadia K\. signed in as clinician/.test(r.detail)));
  assert.ok(!JSON.stringify(rows).includes('not the password at all'));
  assert.ok(!JSON.stringify(rows).includes(lib.PASSWORD));
  await ctx.close();
});

test('an unknown name and a wrong password get the same answer', async () => {
  const a = await lib.request(clinic, '/login');
  const token = a.body.match(/name="login_token" value="([0-9a-f]+)"/)[1];
  const cookie = a.headers['set-cookie'][0].split(';')[0];
  const post = (name) => lib.request(clinic, '/login', { method: 'POST', cookie,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login_token: token, name, password: 'wrong password here' }).toString() });
  const unknown = await post('Nobody Here');
  const known = await post('Adam Admin');
  assert.equal(unknown.status, 401);
  assert.equal(known.status, 401);
  const msg = (r) => r.body.match(/id="error">([^<]*)</)[1];
  assert.equal(msg(unknown), msg(known));
});

test('failed sign-ins are throttled: after 5 failures the right password waits too', async () => {
  const a = await lib.request(clinic, '/login');
  const token = a.body.match(/name="login_token" value="([0-9a-f]+)"/)[1];
  const cookie = a.headers['set-cookie'][0].split(';')[0];
  const post = (password) => lib.request(clinic, '/login', { method: 'POST', cookie,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login_token: token, name: 'Clara Clerk', password }).toString() });
  for (let i = 0; i < 5; i++) assert.equal((await post('guess number ' + i)).status, 401);
  const locked = await post(lib.PASSWORD);
  assert.equal(locked.status, 429);
  assert.match(locked.body, /wait \d+ seconds/);
});

test('a session ends after --idle seconds without a request', async () => {
  const s = await lib.rawLogin(clinic, 'Adam Admin');
  assert.equal((await lib.request(clinic, '/scan', { cookie: s.cookie })).status, 200);
  await new Promise((r) => setTimeout(r, 11500));
  assert.equal((await lib.request(clinic, '/scan', { cookie: s.cookie })).status, 303);
});
