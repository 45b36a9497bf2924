// The web client as the desktop app runs it (native side faked by desktop-fake.ts): the page is
// served from 127.0.0.1 while its server is http://localhost:PORT, another origin, as
// tauri://localhost is in the app. The gateway's CSP of the page (connect-src 'self') belongs to
// the browser deployment, so these contexts bypass it; the desktop app sets its own.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { PORT } from './backend';
import { composer, newUser, registerViaUi, send, uniqueName } from './fixtures';
import { desktopCalls, fakeDesktop } from './desktop-fake';

const SERVER = `http://localhost:${PORT}`;

async function desktopPage(browser: Browser, serverUrl: string | null): Promise<Page> {
	const context = await browser.newContext({ bypassCSP: true });
	await fakeDesktop(context, serverUrl);
	return context.newPage();
}

test('first start: /connect checks the address, then the app talks to that server', async ({ browser }) => {
	const page = await desktopPage(browser, null);
	// Every route leads to /connect while no server is chosen.
	await page.goto('/app/settings');
	await expect(page).toHaveURL(/\/connect$/);
	const address = page.getByLabel('Server address');
	const connect = page.getByRole('button', { name: 'Connect' });
	const error = page.getByTestId('connect-error');

	await address.fill('ftp://files.example.com');
	await connect.click();
	await expect(error).toContainText('not a server address');

	await address.fill('http://127.0.0.1:9');
	await connect.click();
	await expect(error).toContainText('cannot be reached');

	// Some other web server that answers (and allows this origin), first with a page, then with
	// JSON of another shape: not Chatalot. A bare host name means https.
	const answers = [
		{ status: 200, contentType: 'text/html', body: '<!doctype html><p>hello</p>' },
		{ status: 200, contentType: 'application/json', body: '{"registration_mode":null}' }
	];
	const asked: string[] = [];
	await page.route('https://not-chatalot.test/**', (route) => {
		asked.push(route.request().url());
		return route.fulfill({ ...answers[asked.length - 1], headers: { 'access-control-allow-origin': '*' } });
	});
	for (let i = 1; i <= answers.length; i++) {
		await address.fill('not-chatalot.test');
		await address.press('Enter');
		await expect.poll(() => asked.length).toBe(i);
		await expect(error).toHaveText('https://not-chatalot.test answered, but it is not a Chatalot server.');
	}
	expect(asked).toEqual(['https://not-chatalot.test/api/v1/instance', 'https://not-chatalot.test/api/v1/instance']);
	expect(await desktopCalls(page, 'set_server_url')).toEqual([]);

	await address.fill(`${SERVER}/some/path/`);
	await connect.click();
	await expect(page).toHaveURL(/\/login$/);
	expect(await desktopCalls(page, 'set_server_url')).toEqual([{ cmd: 'set_server_url', args: { url: SERVER } }]);

	// Registration, the REST calls and the WebSocket all go to localhost while the page is on 127.0.0.1.
	const apiHosts = new Set<string>();
	page.on('request', (r) => {
		const url = new URL(r.url());
		if (url.pathname.startsWith('/api/')) apiHosts.add(url.host);
	});
	const sockets: string[] = [];
	page.on('websocket', (ws) => sockets.push(ws.url()));
	const username = uniqueName('desk');
	await registerViaUi(page, username);
	expect([...apiHosts]).toEqual([`localhost:${PORT}`]);
	await expect.poll(() => sockets).toContain(`ws://localhost:${PORT}/ws`);

	// An invite link names the server, not the page's origin.
	const name = uniqueName('Desk ');
	await page.getByRole('button', { name: 'Create a community' }).click();
	await page.getByLabel('Name').fill(name);
	await page.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(composer(page)).toBeVisible();
	await page.getByRole('button', { name: 'Invite people' }).click();
	await page.getByRole('button', { name: 'Create invite link' }).click();
	await expect(page.getByTestId('invite-link')).toHaveValue(new RegExp(`^${SERVER}/invite/[\\w-]+$`));
	await page.keyboard.press('Escape');

	// The end-to-end state in IndexedDB is sealed: the device record holds no key material in clear.
	const userId = await page.evaluate(() => (JSON.parse(localStorage.getItem('chatalot.session') ?? '{}') as { userId: string }).userId);
	const device = async () =>
		page.evaluate(
			(db) =>
				new Promise<Record<string, unknown> | null>((resolve, reject) => {
					const open = indexedDB.open(db);
					open.onerror = () => reject(open.error);
					open.onsuccess = () => {
						const tx = open.result.transaction('kv', 'readonly');
						const get = tx.objectStore('kv').get('device');
						get.onsuccess = () => {
							const v = get.result as Record<string, unknown> | undefined;
							resolve(v ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x instanceof Uint8Array ? `bytes:${x.length}` : x])) : null);
							open.result.close();
						};
					};
				}),
			`chatalot-e2e-${userId}`
		);
	await expect.poll(device, { timeout: 30_000 }).not.toBeNull();
	const sealed = await device();
	expect(Object.keys(sealed ?? {}).sort()).toEqual(['data', 'iv', 'sealed']);
	expect(sealed?.iv).toBe('bytes:12');
	expect((await desktopCalls(page, 'store_key')).map((c) => c.args)).toContainEqual({ account: userId });

	// Settings: start minimised and the server; changing it warns that it logs out.
	await page.goto('/app/settings');
	await expect(page.getByTestId('desktop-server')).toHaveText(SERVER);
	await expect(page.getByTestId('push-settings')).toHaveCount(0);
	await page.getByLabel('Start minimised to the tray').check();
	await expect.poll(async () => (await desktopCalls(page, 'set_start_minimised')).map((c) => c.args)).toEqual([{ enabled: true }]);
	await page.getByRole('link', { name: 'Change server' }).click();
	await expect(page).toHaveURL(/\/connect$/);
	await expect(page.getByTestId('change-server-warning')).toContainText(`logs you out of ${SERVER}`);
	await expect(page.getByLabel('Server address')).toHaveValue(SERVER);

	// No service worker in the desktop.
	expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
});

test('desktop notifications and the tray count follow messages, mentions and what is open', async ({ browser }) => {
	test.setTimeout(120_000);
	const alice = await desktopPage(browser, SERVER);
	const aliceName = uniqueName('dalice');
	await registerViaUi(alice, aliceName);
	const community = uniqueName('Notify ');
	await alice.getByRole('button', { name: 'Create a community' }).click();
	await alice.getByLabel('Name').fill(community);
	await alice.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(composer(alice)).toBeVisible();
	const channelUrl = alice.url();
	await alice.getByRole('button', { name: 'Invite people' }).click();
	await alice.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.getByTestId('invite-link').inputValue();
	await alice.keyboard.press('Escape');

	// Bob uses the browser client at 127.0.0.1: the same server.
	const bob = await newUser(browser, 'dbob');
	await bob.page.goto(new URL(link).pathname);
	await bob.page.getByRole('button', { name: 'Join community' }).click();
	await expect(composer(bob.page)).toBeVisible();

	// Alice looks at her settings: nothing of the channel or conversation is open.
	await alice.goto('/app/settings');
	await expect(alice.getByRole('heading', { name: 'Settings' })).toBeVisible();
	const notes = async () => (await desktopCalls(alice, 'notify')).map((c) => c.args);
	const badge = async () => (await desktopCalls(alice, 'set_unread')).at(-1)?.args.count;

	// A plain channel message does not notify (channels default to mentions); a mention does.
	await send(bob.page, 'just chatting');
	await expect(composer(bob.page)).toHaveValue('');
	await composer(bob.page).pressSequentially('@' + aliceName.slice(0, 5));
	await expect(bob.page.getByRole('option', { name: new RegExp(aliceName) })).toBeVisible();
	await composer(bob.page).press('Enter');
	await expect(composer(bob.page)).toHaveValue(`@${aliceName} `);
	await composer(bob.page).pressSequentially('need you here');
	await composer(bob.page).press('Enter');
	await expect.poll(notes).toContainEqual({ title: `${bob.username} in #general (${community})`, body: `@${aliceName} need you here` });
	expect((await notes()).filter((n) => String(n.body).includes('just chatting'))).toEqual([]);
	await expect.poll(badge).toBe(1);

	// An encrypted conversation message notifies (conversations default to all) with its plaintext.
	await bob.page.getByRole('link', { name: 'Home: conversations' }).click();
	await bob.page.getByRole('button', { name: 'New conversation' }).click();
	await bob.page.getByLabel('Usernames').fill(aliceName);
	await bob.page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(bob.page).toHaveURL(/\/app\/dm\/[0-9a-f-]+$/);
	await bob.page.getByLabel('Encrypted message').fill('a secret for your eyes');
	await bob.page.getByRole('button', { name: 'Send' }).click();
	await expect.poll(notes, { timeout: 30_000 }).toContainEqual({ title: bob.username, body: 'a secret for your eyes' });
	await expect.poll(badge).toBe(2);

	// Reading the channel, then the conversation, brings the count down to 0.
	await alice.goto(channelUrl);
	await expect(alice.getByText('need you here')).toBeVisible();
	await expect.poll(badge).toBe(1);
	await alice.getByRole('link', { name: 'Home: conversations' }).click();
	await alice.getByRole('link', { name: `${bob.username} (unread)` }).click();
	await expect(alice.getByTestId('dm-message').filter({ hasText: 'a secret for your eyes' })).toBeVisible();
	await expect.poll(badge).toBe(0);
});
