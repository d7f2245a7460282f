// The dashboard's node list under load (issue 25 "Performance"), in Debian's Chromium with
// playwright-core, against the bench server: the bench user's N mapped nodes, while a swarm
// of them reports at the offered rate. Prints one JSON object:
// - render_ms: navigation start → every row in the table, per load (three loads);
// - first half of the window, events only: table_mutations_per_s (DOM changes the events
//   made in the table) and long_tasks (main-thread tasks over 50 ms: count, total, max);
// - second half, events still arriving: filter_ms, one character typed into the search box
//   (narrow) and cleared again (all_rows_back) → the list painted: p50, p99, max;
// - bundle: the built files' bytes, raw and gzip.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const require = createRequire(path.join(process.env.NODE_PATH, 'x.js'));
const { chromium } = require('playwright-core');

const [url, user, password, expected, windowSeconds, webRoot] = process.argv.slice(2);
const rows = Number(expected);

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const bundle = { files: [], raw_bytes: 0, gzip_bytes: 0 };
for (const dir of ['', 'assets']) {
  for (const f of readdirSync(path.join(webRoot, dir))) {
    const p = path.join(webRoot, dir, f);
    if (!statSync(p).isFile()) continue;
    const data = readFileSync(p);
    const gz = gzipSync(data, { level: 9 }).length;
    bundle.files.push({ file: path.join(dir, f), bytes: data.length, gzip_bytes: gz });
    bundle.raw_bytes += data.length;
    bundle.gzip_bytes += gz;
  }
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(60_000);
await page.goto(url);
await page.getByLabel('E-mail').fill(user);
await page.getByLabel('Password').fill(password);
await page.getByRole('button', { name: 'Log in' }).click();
await page.getByRole('heading', { name: 'Nodes' }).waitFor();

const render = [];
for (let i = 0; i < 3; ++i) {
  await page.goto(url); // a fresh load: the session is in localStorage
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-node-id]').length >= n, rows);
  render.push(await page.evaluate(() => performance.now()));
}

// First half of the window: only the events arrive; what they change in the table and
// the main thread's long tasks are counted.
await page.evaluate(() => {
  window.__mutations = 0;
  window.__longTasks = [];
  new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  // What the events change in the table (the "last change" cells, the online badges).
  new MutationObserver((m) => (window.__mutations += m.length)).observe(document.querySelector('table.nodes tbody'), {
    subtree: true,
    characterData: true,
    childList: true,
  });
});
const half = (Number(windowSeconds) * 1000) / 2;
const started = Date.now();
await page.waitForTimeout(half);
const seconds = (Date.now() - started) / 1000;
const { mutations, longTasks } = await page.evaluate(() => ({ mutations: window.__mutations, longTasks: window.__longTasks }));

// Second half: the filter's latency while the events keep arriving — one character typed
// (the list narrows to the nodes whose name or id contains it), then cleared (every row
// back), measured from the input event to the second animation frame after it.
const filterMs = { narrow: [], all: [] };
const second = Date.now();
while (Date.now() - second < half) {
  for (const [text, into] of [['a', filterMs.narrow], ['', filterMs.all]]) {
    into.push(
      await page.evaluate(async (t) => {
        const input = document.querySelector('input[type="search"]');
        const t0 = performance.now();
        input.value = t;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, text),
    );
  }
  await page.waitForTimeout(200);
}
await browser.close();
const stats = (v) => ({ samples: v.length, p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)), max: Math.round(Math.max(...v)) });

console.log(
  JSON.stringify({
    rows,
    render_ms: render.map((v) => Math.round(v)),
    events_window_s: Math.round(seconds * 10) / 10,
    table_mutations_per_s: Math.round(mutations / seconds),
    long_tasks: { count: longTasks.length, total_ms: Math.round(longTasks.reduce((a, b) => a + b, 0)), max_ms: Math.round(Math.max(0, ...longTasks)) },
    filter_ms: { narrow: stats(filterMs.narrow), all_rows_back: stats(filterMs.all) },
    bundle,
  }),
);
