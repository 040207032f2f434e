// ui-test.mjs - ledgerd's web view in a real browser (Debian's chromium,
// headless, driven by playwright-core): the timeline's marks, an entry
// verified against the signed checkpoint, an entry whose bytes were
// edited behind ledgerd's back not verified, attacker text shown as text
// with no script run, a screenshot of each view.
//
// usage: node ui-test.mjs URL VKEY OUTDIR EXPECTED_MARKS DEPLOY_SEQ XSS_SEQ TAMPERED_SEQ
//            TRACED_SEQ
// Prints "ok - ..." / "FAIL - ..." lines; exit 1 on any failure.
import { chromium } from 'playwright-core';

const [url, vkey, out, marks, dep, xss, bad, traced] = process.argv.slice(2);
let failed = 0;
const check = (name, ok, extra) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${name}${extra !== undefined ? ` (${extra})` : ''}`);
  if (!ok) failed++;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  let dialogs = 0;
  const errors = [];
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(url + '/ui/');
  await page.fill('#vkey', vkey);
  await page.click('#auth button');
  await page.waitForSelector('#lanes svg a.mark', { timeout: 10000 });
  const n = await page.$$eval('#lanes svg a.mark', (m) => m.length);
  check('the timeline of the last 24 hours shows every entry as a mark', n === Number(marks), `${n} of ${marks}`);
  const lanes = await page.$$eval('#lanes .lane-label', (l) => l.map((x) => x.textContent));
  check('one lane per environment', lanes.includes('production') && lanes.includes('staging'), lanes.join(','));
  await page.waitForFunction(() => performance.getEntriesByName('ledgerd:timeline-painted').length > 0,
    null, { timeout: 10000 });
  const painted = await page.evaluate(() => {
    const m = performance.getEntriesByName('ledgerd:timeline-painted')[0];
    return { ms: m.startTime, entries: m.detail.entries };
  });
  check('the page marks the timeline painted (Performance API), with its entries',
    painted.entries === Number(marks), `${painted.entries} entries, painted ${painted.ms.toFixed(0)} ms after ` +
    `navigation start; bench/ui-timeline.sh measures a 1,000,000-entry ledger's day`);
  await page.screenshot({ path: `${out}/timeline.png` });
  await page.selectOption('#lane-by', 'service');
  await page.waitForFunction(() => location.hash.includes('lanes=service') &&
    [...document.querySelectorAll('#lanes .lane-label')].some((l) => l.textContent === 'api'), null, { timeout: 10000 });
  const svc = await page.$$eval('#lanes .lane-label', (l) => l.map((x) => x.textContent));
  const svcMarks = await page.$$eval('#lanes svg a.mark', (m) => m.length);
  check('lanes per service instead, in the URL, every entry still a mark',
    ['api', 'pay', 'web'].every((x) => svc.includes(x)) && svcMarks === Number(marks), svc.join(','));
  await page.screenshot({ path: `${out}/timeline-services.png` });

  // keyboard: the marks are links that take focus
  await page.focus(`#lanes a.mark[data-seq="${dep}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^(verified|not verified)/.test(
    document.getElementById('proof').textContent), null, { timeout: 10000 });
  const proof = await page.textContent('#proof');
  check('a deployment opened from the timeline (keyboard) is verified', /^verified against checkpoint \d+ signed by key [0-9a-f]{8}$/.test(proof), proof);
  await page.screenshot({ path: `${out}/entry.png` });

  await page.goto(`${url}/ui/#/entry/${xss}`);
  await page.waitForFunction(() => /^(verified|not verified)/.test(
    document.getElementById('proof').textContent), null, { timeout: 10000 });
  const cells = await page.$$eval('#fields td', (t) => t.map((x) => x.textContent));
  check('attacker text is shown as text', cells.some((c) => c.includes('<img src=x onerror=window.pwned=1>')));
  const pre = await page.textContent('#payload');
  check('the payload is shown as text, pretty-printed', pre.includes('<script>window.pwned=2</script>') && pre.includes('\n  '));
  const pwned = await page.evaluate(() => window.pwned);
  check('no script of the entry ran', pwned === undefined && dialogs === 0, `pwned=${pwned} dialogs=${dialogs}`);
  const imgs = await page.$$eval('img, script:not([src])', (x) => x.length);
  check('no element was made of the entry', imgs === 0);
  await page.screenshot({ path: `${out}/entry-attacker-text.png` });

  await page.goto(`${url}/ui/#/entry/${bad}`);
  await page.waitForFunction(() => /^(verified|not verified)/.test(
    document.getElementById('proof').textContent), null, { timeout: 10000 });
  const badProof = await page.textContent('#proof');
  check('an entry edited in the database is not verified', badProof.startsWith('not verified: '), badProof);
  await page.screenshot({ path: `${out}/entry-tampered.png` });

  // a deployment's lineage: the commit, the build that made its digest, then it
  await page.goto(`${url}/ui/#/entry/${traced}`);
  await page.waitForSelector('#lineage svg a.node', { timeout: 10000 });
  const nodes = await page.$$eval('#lineage svg .node', (l) => l.map((x) => x.querySelector('text').textContent +
    ' ' + x.querySelectorAll('text')[1].textContent + (x.classList.contains('here') ? ' (here)' : '')));
  check('the lineage of a deployment drawn: commit -> build -> deployment (here)',
    nodes.length === 3 && nodes[0].startsWith('commit 9c1d2e3') && nodes[1].startsWith('build ') &&
    nodes[2].startsWith(`deployment ${traced}`) && nodes[2].endsWith('(here)'), nodes.join(' -> '));
  const stages = await page.$$eval('#lineage svg > text.axis', (l) => l.map((x) => x.textContent));
  check('  one column per stage, arrows between them', stages.join(',') === 'commit,build,deployment' &&
    await page.$$eval('#lineage svg path.edge', (p) => p.length) === 4, stages.join(','));
  // Tab from the bundle button: the commit's node, then the build's
  await page.focus('#entry-bundle');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  check('  the nodes take focus with Tab, the commit first with its full hash',
    focused === 'commit 9c1d2e3', focused);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction((t) => location.hash !== '#/entry/' + t, traced, { timeout: 10000 });
  check('  a node opens its entry (keyboard)', (await page.evaluate(() => location.hash)) !== `#/entry/${traced}`,
    await page.evaluate(() => location.hash));
  await page.goto(`${url}/ui/#/entry/${traced}`);
  await page.waitForSelector('#lineage svg a.node', { timeout: 10000 });
  await page.screenshot({ path: `${out}/lineage.png` });
  const [entryDl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }),
    page.click('#entry-bundle')]);
  await entryDl.saveAs(`${out}/entry.bundle.gz`);
  check('the entry\'s evidence bundle downloads', entryDl.suggestedFilename() === `entry-${traced}.bundle.gz`,
    entryDl.suggestedFilename());

  // the state of production now: api runs its digest, deployed by dana
  await page.goto(`${url}/ui/#/state?env=production`);
  await page.waitForSelector('#state-table tr td', { timeout: 10000 });
  const state = await page.$$eval('#state-table tr', (t) => t.map((r) => r.textContent));
  check('the state view lists what runs, since when, deployed by whom',
    state.some((r) => r.includes('api') && r.includes('sha256:abababababab...') && r.includes('dana')), state.join(' | '));
  await page.screenshot({ path: `${out}/state.png` });

  // the population of today, and its exceptions
  const day = new Date().toISOString().slice(0, 10);
  await page.goto(`${url}/ui/#/deployments?env=production&period=${day}`);
  await page.waitForSelector('#dep-table tr td', { timeout: 10000 });
  const deps = await page.$$eval('#dep-table tr', (t) => t.slice(1).map((r) => r.textContent));
  check('the population lists the three production deployments', deps.length === 3, deps.length);
  check('  with their exceptions', deps.some((r) => r.includes('unapproved')));
  check('  and a CSV to download', (await page.getAttribute('#dep-csv', 'href')).startsWith('blob:'));
  check('  and the completeness evidence', (await page.textContent('#dep-completeness')).startsWith('completeness: '));
  const [popDl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }),
    page.click('#dep-bundle')]);
  await popDl.saveAs(`${out}/population.bundle.gz`);
  check('  and its evidence bundle downloads', popDl.suggestedFilename() === `production-${day}-deployments.bundle.gz`,
    popDl.suggestedFilename());
  await page.screenshot({ path: `${out}/deployments.png` });
  await page.goto(`${url}/ui/#/deployments?env=production&period=${day}&which=unapproved`);
  await page.waitForFunction(() => /unapproved in production/.test(document.getElementById('status').textContent),
    null, { timeout: 10000 });
  const exc = await page.$$eval('#dep-table tr', (t) => t.length - 1);
  check('the unapproved exceptions', exc >= 1, exc);

  check('no script error in the page', errors.length === 0, errors.join(' | '));
} finally {
  await browser.close();
}
console.log(`${failed === 0 ? 'ok  ' : 'FAIL'} - the browser run (${failed} failed)`);
process.exit(failed ? 1 : 0);
