// The desktop app end to end: the installed app in a real WebKitGTK window under Xvfb, driven
// through tauri-driver and WebKitWebDriver, against a real Chatalot (web/tests/e2e/backend.ts),
// talking to a person in Chromium. scripts/check-desktop.sh sets the stage: Xvfb, a D-Bus
// session with gnome-keyring (Secret Service) and a notification daemon whose calls are logged,
// fresh XDG folders for the app, and the environment below.
import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_URL, startBackend, stopBackend } from '../../web/tests/e2e/backend';
import { Session } from './webdriver';

const env = (name: string): string => {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run this through scripts/check-desktop.sh`);
	return value;
};
const APP = env('DESKTOP_APP');
const TAURI_DRIVER = env('TAURI_DRIVER');
const APP_DATA = env('DESKTOP_APP_DATA');
const NOTIFICATIONS_LOG = env('DESKTOP_NOTIFICATIONS_LOG');
const SCREENSHOTS = env('DESKTOP_SCREENSHOTS');
const DRIVER_PORT = 4444;
const PASSWORD = 'correct horse battery staple';

let backend: ChildProcess;
let driver: ChildProcess;
let notChatalot: Server;

test.beforeAll(async () => {
	backend = await startBackend();
	driver = spawn(TAURI_DRIVER, ['--port', String(DRIVER_PORT)], { stdio: 'inherit' });
	notChatalot = createServer((_req, res) => {
		// A web server that lets any page read it, but is not Chatalot.
		res.writeHead(200, { 'content-type': 'text/html', 'access-control-allow-origin': '*' });
		res.end('<h1>It works!</h1>');
	});
	await new Promise<void>((r) => notChatalot.listen(0, '127.0.0.1', r));
	await waitForDriver();
});

test.afterAll(async () => {
	driver?.kill('SIGTERM');
	notChatalot?.close();
	if (backend) await stopBackend(backend);
});

async function waitForDriver(): Promise<void> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		const up = await fetch(`http://127.0.0.1:${DRIVER_PORT}/status`).then((r) => r.ok, () => false);
		if (up) return;
		await new Promise((r) => setTimeout(r, 200));
	}
	throw new Error('tauri-driver did not answer within 20 s');
}

async function api<T>(path: string, body: unknown, token?: string): Promise<T> {
	const response = await fetch(`${BASE_URL}/api/v1${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: JSON.stringify(body)
	});
	if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

interface Tokens {
	user: { user_id: string };
	access_token: string;
}

const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}`;

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
	return readdirSync(dir, { recursive: true, encoding: 'utf8' })
		.map((name) => join(dir, name))
		.filter((path) => statSync(path).isFile());
}

/** A screenshot of the whole X screen: the app's real window, as a person would see it. */
function screenshot(name: string): string {
	mkdirSync(SCREENSHOTS, { recursive: true });
	const path = join(SCREENSHOTS, `${name}.png`);
	execFileSync('import', ['-window', 'root', path]);
	return path;
}

/** The names of the X windows on the screen (the app's native title included). */
const windowNames = () => execFileSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' });

async function bobSends(page: Page, text: string) {
	await page.getByLabel('Encrypted message').fill(text);
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(page.getByTestId('dm-message').filter({ hasText: text })).toBeVisible();
}

test('the desktop app connects, signs in, chats end to end, notifies and keeps its keys in the keychain', async ({
	browser
}) => {
	test.setTimeout(240_000);
	// Bob uses the web client; Alice the desktop app. They share a community (conversations need one).
	const alice = unique('alice');
	const bob = unique('bob');
	const aliceTokens = await api<Tokens>('/auth/register', { username: alice, password: PASSWORD });
	const bobTokens = await api<Tokens>('/auth/register', { username: bob, password: PASSWORD });
	const community = await api<{ community_id: string }>(
		'/communities',
		{ name: unique('Neighbours ') },
		bobTokens.access_token
	);
	const invite = await api<{ code: string }>(
		`/communities/${community.community_id}/invites`,
		{},
		bobTokens.access_token
	);
	await api(`/invites/${invite.code}/accept`, {}, aliceTokens.access_token);

	const bobPage = await (await browser.newContext({ baseURL: BASE_URL })).newPage();
	await bobPage.goto('/login');
	await bobPage.getByLabel('Username').fill(bob);
	await bobPage.getByLabel('Password').fill(PASSWORD);
	await bobPage.getByRole('button', { name: 'Log in' }).click();
	await expect(bobPage).toHaveURL(/\/app/);

	let app = await Session.start(`http://127.0.0.1:${DRIVER_PORT}`, APP);
	try {
		// First start: the server address, with clear errors for what is not a Chatalot server.
		const address = await app.field('Server address');
		await address.type('http://127.0.0.1:9');
		await (await app.control('Connect')).click();
		await app.waitForText('cannot be reached');
		const { port } = notChatalot.address() as { port: number };
		await address.type(`http://127.0.0.1:${port}`);
		await (await app.control('Connect')).click();
		await app.waitForText('not a Chatalot server');
		await address.type(BASE_URL);
		await (await app.control('Connect')).click();

		await (await app.field('Username')).type(alice);
		await (await app.field('Password')).type(PASSWORD);
		await (await app.control('Log in')).click();

		// An end-to-end encrypted conversation, started in the desktop app.
		await (await app.control('Home: conversations')).click();
		await (await app.control('New conversation')).click();
		await (await app.field('Usernames')).type(bob);
		await (await app.control('Start conversation')).click();
		const first = `from the desktop ${unique('m')}: lunch at noon?`;
		await (await app.field('Encrypted message')).type(first);
		await (await app.control('Send')).click();
		await app.withText("[data-testid='dm-message']", first);

		await bobPage.getByRole('link', { name: 'Home: conversations' }).click();
		await bobPage.getByRole('link', { name: `${alice} (unread)` }).click();
		await expect(bobPage.getByTestId('dm-message').filter({ hasText: first })).toBeVisible();
		const reply = `from the browser ${unique('m')}: noon works`;
		await bobSends(bobPage, reply);
		await app.withText("[data-testid='dm-message']", reply);
		await app.waitForNoText('Decrypting');
		screenshot('desktop-conversation');

		// Away from the conversation, a new message notifies natively and shows as unread.
		await (await app.control('Settings')).click();
		await app.waitForText('Start minimised');
		const ping = `are you there ${unique('m')}?`;
		await bobSends(bobPage, ping);
		await expect.poll(() => readFileSync(NOTIFICATIONS_LOG, 'utf8'), { timeout: 20_000 }).toContain(ping);
		expect(readFileSync(NOTIFICATIONS_LOG, 'utf8')).toContain(bob);
		await expect.poll(windowNames, { timeout: 20_000 }).toContain('"Chatalot (1)"');
		await (await app.control('Home: conversations')).click();
		await (await app.control(`${bob} (unread)`)).click();
		await app.withText("[data-testid='dm-message']", ping);
		await expect.poll(windowNames, { timeout: 20_000 }).toContain('"Chatalot"');

		// The key protecting Alice's end-to-end state is in the keychain, and no message she
		// exchanged is readable in the app's files.
		const keychain = execFileSync('secret-tool', ['search', '--all', 'service', 'org.chatalot.desktop'], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe']
		});
		expect(keychain).toContain(aliceTokens.user.user_id);
		const stored = files(APP_DATA);
		expect(stored.length).toBeGreaterThan(0);
		for (const path of stored) {
			const bytes = readFileSync(path);
			for (const text of [first, reply, ping]) {
				expect(bytes.includes(Buffer.from(text, 'utf8')), `${text} in ${path}`).toBe(false);
				expect(bytes.includes(Buffer.from(text, 'utf16le')), `${text} (UTF-16) in ${path}`).toBe(false);
			}
		}
	} finally {
		await app.end();
	}

	// Started again: the server and the session are remembered, and the history decrypts with
	// the key from the keychain.
	app = await Session.start(`http://127.0.0.1:${DRIVER_PORT}`, APP);
	try {
		await (await app.control('Home: conversations')).click();
		await (await app.control(bob, 30_000)).click();
		const history = await app.withText("[data-testid='dm-message']", 'from the desktop', 30_000);
		expect(await history.text()).toContain('lunch at noon?');
		await app.withText("[data-testid='dm-message']", 'are you there');
		await app.waitForNoText('Decrypting');
		// The window repaints a moment after the page changes.
		await new Promise((r) => setTimeout(r, 1500));
		await app.waitForNoText('Decrypting');
		screenshot('desktop-restarted');
	} finally {
		await app.end();
	}
});
