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

/** A new browser context (its own storage) with a freshly registered user. */
export async function newUser(browser: Browser, prefix: string): Promise<{ page: Page; username: string }> {
	const context = await browser.newContext();
	const page = await context.newPage();
	const username = uniqueName(prefix);
	await registerViaUi(page, username);
	return { page, username };
}

/** Saves a screenshot under test-results/screenshots/ (the best are copied to docs/screenshots). */
export async function screenshot(page: Page, name: string): Promise<void> {
	const dir = resolve(import.meta.dirname, '../../test-results/screenshots');
	mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: resolve(dir, `${name}.png`) });
}
