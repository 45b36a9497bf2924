// Shared steps of the end-to-end tests.
import { expect, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
/** A username no other test (or earlier run against the same database) uses. */
export function uniqueName(prefix: string): string {
	counter += 1;
	return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

/** Registers through the registration page and waits for the app shell. */
export async function registerViaUi(page: Page, username: string, displayName = username): Promise<void> {
	await page.goto('/register');
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Display name').fill(displayName);
	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByRole('button', { name: 'Register' }).click();
	await expect(page).toHaveURL(/\/app/);
	await expect(page.getByTestId('signed-in-user')).toHaveText(displayName);
}

/** A new browser context (its own storage) with a freshly registered user. Every page of it
 * records Content-Security-Policy violations for {@link expectNoCspViolations}. */
export async function newUser(browser: Browser, prefix: string): Promise<{ page: Page; username: string }> {
	const context = await browser.newContext();
	await context.addInitScript(() => {
		const seen: string[] = [];
		(window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
		document.addEventListener('securitypolicyviolation', (e) =>
			seen.push(`${e.effectiveDirective} blocked ${e.blockedURI}`)
		);
	});
	const page = await context.newPage();
	const username = uniqueName(prefix);
	await registerViaUi(page, username);
	return { page, username };
}

/** Fails if the gateway's Content-Security-Policy blocked anything on `page` so far. */
export async function expectNoCspViolations(page: Page): Promise<void> {
	const violations = await page.evaluate(
		() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []
	);
	expect(violations).toEqual([]);
}

/** Saves a screenshot under test-results/screenshots/ (the best are copied to docs/screenshots). */
export async function screenshot(page: Page, name: string): Promise<void> {
	const dir = resolve(import.meta.dirname, '../../test-results/screenshots');
	mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: resolve(dir, `${name}.png`) });
}

/** Creates a community through the UI and waits for its first channel's composer. */
export async function createCommunity(page: Page): Promise<string> {
	const name = uniqueName('Chat ');
	await page.getByRole('button', { name: 'Create a community' }).click();
	await page.getByLabel('Name').fill(name);
	await page.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(page.getByRole('heading', { name })).toBeVisible();
	await expect(page).toHaveURL(/\/app\/c\/[0-9a-f-]+\/[0-9a-f-]+$/);
	await expect(composer(page)).toBeVisible();
	return name;
}

/** The owner creates an invite link in the current community; the guest opens it and joins. */
export async function inviteAndJoin(owner: Page, guest: Page, community: string): Promise<void> {
	await owner.getByRole('button', { name: 'Invite people' }).click();
	await owner.getByRole('button', { name: 'Create invite link' }).click();
	const link = await owner.getByTestId('invite-link').inputValue();
	await owner.keyboard.press('Escape');
	await guest.goto(new URL(link).pathname);
	await guest.getByRole('button', { name: 'Join community' }).click();
	await expect(guest).toHaveURL(/\/app\/c\/[0-9a-f-]+\/[0-9a-f-]+$/);
	await expect(guest.getByRole('heading', { name: community, exact: true })).toBeVisible();
	await expect(composer(guest)).toBeVisible();
}

/** The message box of the open channel. */
export const composer = (page: Page) => page.getByRole('combobox', { name: /^Message #/ });

/** The messages of the open channel that contain `text`. */
export const message = (page: Page, text: string | RegExp) =>
	page.getByTestId('message').filter({ hasText: text });

/** Sends `text` in the open channel and waits until it shows. */
export async function send(page: Page, text: string): Promise<void> {
	await composer(page).fill(text);
	await composer(page).press('Enter');
	await expect(message(page, text)).toBeVisible();
}
