// Screenshots of the main pages of phr serve, in English and Arabic, for
// docs/images and the README (not a test: run it by hand after a change
// to the pages).
//   PHR_BIN=build/cli/phr-testclock node tests/web/screenshots.js docs/images
'use strict';
const path = require('node:path');
const lib = require('./lib');

async function shoot(out) {
  const clinic = lib.makeClinic();
  const ex = (n) => path.join(lib.SRC, 'examples', `${n}.json`);
  for (const n of ['child-no-vaccination-documents', 'pregnant-hepatitis-b', 'older-man-chronic', 'adult-tb-positive-referral'])
    clinic.phr(['issue', '--key', 'c1.key', '--cert', 'c1.cert', '--in', ex(n), '--out', `${n}.phr`, '--register', clinic.db]);
  clinic.phr(['qr', '--parity', '1', '--out-dir', 'codes', 'adult-tb-positive-referral.phr']);
  const id = clinic.phr(['inspect', 'child-no-vaccination-documents.phr']).match(/[0-9a-f]{32}/)[0];
  await lib.serve(clinic);
  const br = await lib.browser();
  try {
    for (const lang of ['en', 'ar']) {
      const ctx = await br.newContext({ viewport: { width: 1200, height: 820 } });
      const page = await ctx.newPage();
      await page.goto(`${clinic.url}/login?lang=${lang}`);
      await page.screenshot({ path: path.join(out, `web-login-${lang}.png`) });
      await page.fill('#name', 'Nadia K.');
      await page.fill('#password', lib.PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('#login')]);
      await page.setInputFiles('#images', path.join(clinic.dir, 'codes', 'code-01-of-03.png'));
      await Promise.all([page.waitForNavigation(), page.click('#scan')]);
      await page.screenshot({ path: path.join(out, `web-scan-${lang}.png`) });
      await page.goto(`${clinic.url}/record/${id}`);
      await page.screenshot({ path: path.join(out, `web-record-${lang}.png`), fullPage: false });
      await page.goto(`${clinic.url}/search?go=1&name=${encodeURIComponent(lang === 'ar' ? 'سارة' : 'Sara Al Ahmad')}`);
      await page.screenshot({ path: path.join(out, `web-search-${lang}.png`) });
      await page.goto(`${clinic.url}/reports?from=2025-01-01&to=2025-12-31&format=text`);
      await page.screenshot({ path: path.join(out, `web-reports-${lang}.png`) });
      await ctx.close();
    }
  } finally {
    await br.close();
    await lib.stop(clinic);
    lib.cleanup(clinic);
  }
}

shoot(path.resolve(process.argv[2] || 'docs/images')).catch((e) => { console.error(e); process.exit(1); });
