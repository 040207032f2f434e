// ui-bench.mjs - how fast the web view's timeline renders (bench/ui-timeline.sh):
// RUNS fresh page loads of /ui/#/timeline?from=FROM&to=TO in Debian's
// chromium (headless, playwright-core), each measured by the page's own
// Performance API marks: navigation start -> the timeline's marks in the
// page ("ledgerd:timeline") and painted ("ledgerd:timeline-painted"), and
// the GET /v1/timeline it made (resource timing).  Prints one line per run
// and the median and worst; not a test.
//
// usage: node ui-bench.mjs URL FROM TO RUNS
import { chromium } from 'playwright-core';

const [url, from, to, runs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const rows = [];
try {
  console.log(`${'run'.padEnd(4)} ${'marks'.padStart(7)} ${'api ms'.padStart(8)} ${'json KB'.padStart(8)}` +
    ` ${'in page ms'.padStart(11)} ${'painted ms'.padStart(11)}`);
  for (let i = 0; i < Number(runs); i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}/ui/#/timeline?from=${from}&to=${to}`);
    await page.waitForFunction(() => performance.getEntriesByName('ledgerd:timeline-painted').length > 0,
      null, { timeout: 30000 });
    const m = await page.evaluate(() => {
      const inPage = performance.getEntriesByName('ledgerd:timeline')[0];
      const painted = performance.getEntriesByName('ledgerd:timeline-painted')[0];
      const api = performance.getEntriesByType('resource').find((r) => r.name.includes('/v1/timeline'));
      return { marks: document.querySelectorAll('#lanes a.mark').length, entries: inPage.detail.entries,
        inPage: inPage.startTime, painted: painted.startTime,
        api: api ? api.responseEnd - api.startTime : NaN, kb: api ? api.decodedBodySize / 1024 : NaN };
    });
    rows.push(m);
    console.log(`${String(i + 1).padEnd(4)} ${String(m.marks).padStart(7)} ${m.api.toFixed(1).padStart(8)}` +
      ` ${m.kb.toFixed(0).padStart(8)} ${m.inPage.toFixed(1).padStart(11)} ${m.painted.toFixed(1).padStart(11)}`);
    await page.close();
  }
} finally {
  await browser.close();
}
const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
const worst = (k) => Math.max(...rows.map((r) => r[k]));
console.log(`median: ${med('marks')} marks, api ${med('api').toFixed(1)} ms, in page ${med('inPage').toFixed(1)} ms,` +
  ` painted ${med('painted').toFixed(1)} ms after navigation start; worst painted ${worst('painted').toFixed(1)} ms`);
