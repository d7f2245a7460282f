// Drives the dashboard in Debian's Chromium (headless) with playwright-core, against the
// stratusd and virtual light that tests/web/run started: log in, see the light online, open
// it, toggle its power and watch the switch flip only when the light's own report comes
// back, move the brightness slider, see an alert and a command request's answer arrive, chart a sensor's time series with another range and
// aggregate, share the light with a second user, group it and filter the list by the group, make an
// automation and fire it, follow an OTA job as a super-admin and revoke a node, see a set
// to the offline node queued, reset a password, survive an access token refused, see the list live, the phone width and dark theme, log out.
// Screenshots of the pages go to $STRATUS_SHOTS (light and dark, desktop and phone width).
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH, 'x.js'));
const { chromium } = require('playwright-core');

const url = process.env.STRATUS_URL;
const user = process.env.STRATUS_USER;
const password = process.env.STRATUS_PASSWORD;
const light = process.env.STRATUS_LIGHT;
const sensor = process.env.STRATUS_SENSOR;
const lamp = process.env.STRATUS_LAMP;
const shots = process.env.STRATUS_SHOTS;
const outbox = process.env.STRATUS_OUTBOX;
const lightConsole = process.env.STRATUS_LIGHT_CONSOLE; // the light's console (a FIFO)
const admin = process.env.STRATUS_ADMIN;
const job = process.env.STRATUS_JOB;

// The verification code of the mail to `to` whose text mentions `purpose` (the outbox
// mailer's files).
function mailedCode(to, purpose) {
  const codes = readdirSync(outbox)
    .map((f) => readFileSync(path.join(outbox, f), 'utf8'))
    .filter((text) => text.includes(`To: ${to}\n`) && text.includes(purpose))
    .map((text) => /Verification code: (\d{6})/.exec(text)?.[1])
    .filter(Boolean);
  check(codes.length === 1, `one ${purpose} mail to ${to} (${codes.length})`);
  return codes[0];
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.setDefaultTimeout(15_000);

  // A client route loads the app too (stratusd answers index.html for it).
  await page.goto(`${url}/nodes/${light}`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();

  // A wrong password: the API's own description is shown.
  await page.getByLabel('E-mail').fill(user);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  const refused = await page.getByRole('alert').textContent();
  check(refused && refused.length > 0, 'a refused login shows the reason');

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();

  // The node page of the client route: the light, online, with its params.
  await page.getByRole('heading', { name: 'Light' }).waitFor();
  await page.locator('.badge.on').first().waitFor();
  const power = page.getByRole('switch', { name: 'Power' });
  await power.waitFor();
  const before = await power.isChecked();

  // Toggle: the switch flips when the light reports the new state (event stream).
  await power.click();
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.checked === want,
    ['input[role="switch"]', !before],
  );
  const reported = await page.evaluate(
    async ([id, token]) => {
      const r = await fetch(`/v1/user/nodes/params?node_id=${id}`, {
        headers: { Authorization: token },
      });
      return (await r.json()).Light.Power;
    },
    [light, JSON.parse(await page.evaluate(() => localStorage.getItem('stratus.session'))).accessToken],
  );
  check(reported === !before, `the cloud holds the light's report (Power ${reported})`);

  // The slider: the light reports 30, and the output shows it.
  const brightness = page.getByRole('slider', { name: 'Brightness' });
  await brightness.fill('30');
  await page.locator('output[for$="Brightness"]').filter({ hasText: /^30$/ }).waitFor();

  // An alert the light raises appears on its page at once (event stream).
  appendFileSync(lightConsole, 'alert Filament is getting hot\n');
  await page.locator('.alerts li').filter({ hasText: 'Filament is getting hot' }).waitFor();

  // A command request (cmd-resp 4099, the light's `configure`): sent from the page, its
  // status becomes success when the light answers.
  await page.getByRole('textbox', { name: 'Command', exact: true }).fill('4099');
  await page.getByLabel('Data (JSON or text)').fill('{"led":"dim"}');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('status').filter({ hasText: /^Request .* sent\.$/ }).waitFor();
  await page.locator('td.cmd-status').filter({ hasText: /^success/ }).first().waitFor();
  await page.screenshot({ path: `${shots}/node.png`, fullPage: true });

  // The slider is generated from the node config's bounds.
  const bounds = await brightness.evaluate((el) => [el.min, el.max]);
  check(bounds[0] === '0' && bounds[1] === '100', `the slider has the config's bounds (${bounds})`);

  // The lamp: a hue circle moved with the keyboard (five steps right) and a drop-down; both
  // show what the lamp reports back.
  await page.goto(`${url}/nodes/${lamp}`);
  const hue = page.getByRole('slider', { name: 'Hue' });
  await hue.waitFor();
  await hue.focus();
  for (let i = 0; i < 5; ++i) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => {
    const circle = document.querySelector('[role="slider"].hue-circle');
    return circle?.getAttribute('aria-valuenow') === '5' && !circle.hasAttribute('data-pending'); // reported
  });
  await page.getByRole('combobox', { name: 'Mode' }).selectOption('party');
  await page.waitForFunction(() => document.querySelector('select[id$="Mode"]')?.value === 'party');
  await page.screenshot({ path: `${shots}/lamp.png`, fullPage: true });

  // The sensor's page: a chart of its Temperature (a time_series param), raw points first,
  // then hourly averages.
  await page.goto(`${url}/nodes/${sensor}`);
  const plot = page.locator('.chart .plot');
  await page.waitForFunction(() => Number(document.querySelector('.chart .plot')?.dataset.points) >= 3);
  check((await plot.locator('canvas').count()) > 0, 'the chart is drawn');
  await page.screenshot({ path: `${shots}/sensor.png`, fullPage: true });
  await page.getByLabel('Range').selectOption('24h');
  await page.getByLabel('Aggregate').selectOption('avg');
  await page.waitForFunction(() => {
    const n = Number(document.querySelector('.chart .plot')?.dataset.points);
    return n >= 1 && n <= 2; // one or two hourly windows since the sensor started
  });

  // Sharing: a second user signs up in another browser (the code comes by mail), the
  // first shares the light with them, the second accepts, and both see it.
  const other = 'bob@example.com';
  const second = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const bob = await second.newPage();
  bob.setDefaultTimeout(15_000);
  await bob.goto(url);
  await bob.getByRole('button', { name: 'Create an account' }).click();
  await bob.getByLabel('E-mail').fill(other);
  await bob.getByLabel('Password').fill(password);
  await bob.getByRole('button', { name: 'Sign up' }).click();
  await bob.getByLabel('Verification code').waitFor();
  await bob.getByLabel('Verification code').fill(mailedCode(other, 'confirm your Stratus account'));
  await bob.getByRole('button', { name: 'Confirm' }).click();
  await bob.getByRole('heading', { name: 'Nodes' }).waitFor();
  check((await bob.locator(`tr[data-node-id="${light}"]`).count()) === 0, 'bob has no node yet');

  await page.goto(`${url}/nodes/${light}`);
  await page.getByLabel('Share with (e-mail)').fill(other);
  await page.getByRole('button', { name: 'Share' }).click();
  await page.getByText(`A sharing request was sent to ${other}.`).waitFor();

  await bob.getByRole('link', { name: 'Sharing' }).click();
  await bob.getByRole('button', { name: 'Accept' }).click();
  await bob.getByRole('status').getByText('Accepted').waitFor();
  await bob.getByRole('link', { name: 'Nodes' }).click();
  await bob.locator(`tr[data-node-id="${light}"]`).getByText('secondary').waitFor();
  // The light's page of its primary user lists bob, live.
  await page.locator(`.users li[data-user="${other}"]`).waitFor();
  await page.screenshot({ path: `${shots}/sharing.png`, fullPage: true });
  // Bob forgets his password and sets a new one with the mailed code.
  await bob.getByRole('button', { name: 'Log out' }).click();
  await bob.getByRole('button', { name: 'Forgot your password?' }).click();
  await bob.getByLabel('E-mail').fill(other);
  await bob.getByRole('button', { name: 'Send code' }).click();
  await bob.getByLabel('Verification code').waitFor();
  await bob.getByLabel('New password').fill('Another-passw0rd');
  await bob.getByLabel('Verification code').fill(mailedCode(other, 'reset your Stratus password'));
  await bob.getByRole('button', { name: 'Confirm' }).click();
  await bob.getByRole('heading', { name: 'Nodes' }).waitFor();
  await second.close();

  // Groups: make one, put the light in it, and filter the node list by it.
  await page.getByRole('link', { name: 'Groups' }).click();
  await page.getByLabel('New group').fill('Living room');
  await page.getByRole('button', { name: 'Make' }).click();
  await page.getByText('Group Living room made.').waitFor();
  await page.getByLabel('Add a node to Living room').selectOption(light);
  await page.getByRole('button', { name: 'Add' }).click();
  await page.locator('fieldset[data-group="Living room"] li').filter({ hasText: light }).waitFor();
  await page.getByRole('link', { name: 'Nodes' }).click();
  await page.getByLabel('Group').selectOption({ label: 'Living room' });
  await page.locator(`tr[data-node-id="${sensor}"]`).waitFor({ state: 'detached' });
  // The list is drawn again when the filter changes: wait for the light's row rather than
  // count at once (under load the sensor's row can be gone before the new rows are in).
  check(await page.locator(`tr[data-node-id="${light}"]`).waitFor().then(() => true, () => false),
        'the group filter keeps the light');
  await page.getByLabel('Group').selectOption({ label: 'All nodes' });

  // Automations: "when the light's Power is false, set its Brightness to 10"; switching
  // the light off on its page fires it, and the light reports the new brightness.
  await page.getByRole('link', { name: 'Automations' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Dim when off');
  await page.getByLabel('Trigger node').selectOption(light);
  await page.getByLabel('Trigger param').selectOption('Light.Power');
  await page.getByLabel('Trigger value').fill('false');
  await page.getByLabel('Action node').selectOption(light);
  await page.getByLabel('Action param').selectOption('Light.Brightness');
  await page.getByLabel('Action value').fill('250');
  await page.getByRole('button', { name: 'Make automation' }).click();
  await page.getByRole('alert').filter({ hasText: 'above the maximum 100' }).waitFor(); // refused on the page
  await page.getByLabel('Action value').fill('10');
  await page.getByRole('button', { name: 'Make automation' }).click();
  await page.getByText('Dim when off made.').waitFor();
  await page.goto(`${url}/nodes/${light}`);
  const powerNow = page.getByRole('switch', { name: 'Power' });
  await powerNow.waitFor();
  if (!(await powerNow.isChecked())) {
    await powerNow.click(); // on first, so that switching off is a change
    await page.waitForFunction(() => document.querySelector('input[role="switch"]')?.checked === true);
  }
  await powerNow.click();
  await page.locator('output[for$="Brightness"]').filter({ hasText: /^10$/ }).waitFor();
  await page.getByRole('link', { name: 'Automations' }).click();
  await page.locator('tr[data-automation="Dim when off"] td.last-triggered').filter({ hasText: /\d/ }).waitFor();
  await page.screenshot({ path: `${shots}/automations.png`, fullPage: true });

  // The node list, live: the light is there and online.
  await page.getByRole('link', { name: 'Stratus' }).click();
  await page.getByRole('heading', { name: 'Nodes' }).waitFor();
  for (const id of [light, sensor]) await page.locator(`tr[data-node-id="${id}"]`).getByText('Online').waitFor();
  await page.screenshot({ path: `${shots}/nodes.png`, fullPage: true });

  // Phone width and the dark theme.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 800 },
    colorScheme: 'dark',
    storageState: await context.storageState(),
  });
  const small = await phone.newPage();
  await small.goto(`${url}/nodes/${light}`);
  await small.getByRole('switch', { name: 'Power' }).waitFor();
  await small.screenshot({ path: `${shots}/node-phone-dark.png`, fullPage: true });
  await phone.close();

  // A super-admin: the fleet with a filter, a node's users and history, and the OTA job
  // pushed to the light followed until the light has installed it.
  const third = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const root = await third.newPage();
  root.setDefaultTimeout(15_000);
  await root.goto(`${url}/admin`);
  await root.getByLabel('E-mail').fill(admin);
  await root.getByLabel('Password').fill(password);
  await root.getByRole('button', { name: 'Log in' }).click();
  await root.getByRole('link', { name: 'Admin' }).click();
  await root.getByRole('heading', { name: 'Fleet' }).waitFor();
  await root.locator(`tr[data-node-id="${light}"]`).waitFor();
  await root.locator(`tr[data-node-id="${sensor}"]`).waitFor();
  await root.getByLabel('Model').fill('light');
  await root.locator(`tr[data-node-id="${sensor}"]`).waitFor({ state: 'detached' });
  await root.screenshot({ path: `${shots}/admin-fleet.png`, fullPage: true });
  await root.locator(`tr[data-node-id="${light}"] a`).click();
  await root.locator(`.users li[data-user="${user}"]`).waitFor();
  check((await root.locator('table.nodes tbody tr').count()) > 0, 'the node has audit history');
  await root.goto(`${url}/admin/ota/${job}`);
  await root.locator(`tr[data-node-id="${light}"] td.node-ota-status`).filter({ hasText: /^success$/ }).waitFor({ timeout: 90_000 });
  await root.locator('.job-status').filter({ hasText: 'finished' }).waitFor({ timeout: 30_000 });
  await root.screenshot({ path: `${shots}/admin-ota-job.png`, fullPage: true });
  await root.getByRole('link', { name: 'Users' }).click();
  await root.locator(`tr[data-user="${user}"]`).waitFor();
  await root.getByRole('link', { name: 'Audit log' }).click();
  await root.getByLabel('Action (or prefix)').fill('ota.job');
  await root.getByRole('button', { name: 'Filter' }).click();
  await root.getByText('ota.job.create').first().waitFor();
  // Revocation: the sensor is revoked (and dropped by the broker), then listed.
  await root.getByRole('link', { name: 'Manufacturing' }).click();
  await root.getByText('None registered').waitFor();
  root.once('dialog', (d) => d.accept());
  await root.getByLabel('Node id to revoke').fill(sensor);
  await root.getByLabel('Reason').fill('lost in transit');
  await root.getByRole('button', { name: 'Revoke' }).click();
  await root.locator(`tr[data-node-id="${sensor}"]`).filter({ hasText: 'lost in transit' }).waitFor();
  await third.close();

  // A set to an offline node (the sensor, revoked above, is disconnected) is queued, and
  // the page says so.
  await page.goto(`${url}/nodes/${sensor}`);
  await page.locator('.badge.off').waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Garden');
  await page.getByRole('button', { name: 'Set' }).click();
  await page.locator('.queued').filter({ hasText: 'Garden' }).waitFor();

  // An access token the server no longer takes: the page refreshes it with the refresh
  // token, as the CLI does, and carries on.
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('stratus.session'));
    localStorage.setItem('stratus.session', JSON.stringify({ ...s, accessToken: 'not-a-token' }));
  });
  await page.goto(url);
  await page.locator(`tr[data-node-id="${light}"]`).waitFor();
  const renewed = await page.evaluate(() => JSON.parse(localStorage.getItem('stratus.session')).accessToken);
  check(renewed !== 'not-a-token' && renewed.length > 20, 'the access token was refreshed');

  // Log out: back to the login form, and the session is gone.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  check((await page.evaluate(() => localStorage.getItem('stratus.session'))) === null, 'logged out');

  check(consoleErrors.filter((e) => !e.includes('401')).length === 0, `console errors: ${consoleErrors.join('; ')}`);
  console.log('dashboard: all steps passed');
} catch (e) {
  failed = true;
  console.error('dashboard: FAILED:', e.message);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
