import { expect, test } from '@playwright/test';
import { PASSWORD, registerViaUi, uniqueName } from './fixtures';

test('register, stay signed in across a reload, log out and log in again', async ({ page }) => {
	const username = uniqueName('acct');
	await registerViaUi(page, username, 'Account Tester');

	await page.reload();
	await expect(page.getByTestId('signed-in-user')).toHaveText('Account Tester');

	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login/);
	await page.goto('/app');
	await expect(page).toHaveURL(/\/login/);

	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill('wrong password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toBeVisible();

	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByTestId('signed-in-user')).toHaveText('Account Tester');
});

test('an expired access token is refreshed (rotating the refresh token) without logging out', async ({ page }) => {
	await registerViaUi(page, uniqueName('rot'), 'Rotation Tester');
	const before = await page.evaluate(() => JSON.parse(localStorage.getItem('chatalot.session')!));
	// Pretend the access token expired: the next request refreshes first.
	await page.evaluate(() => {
		const stored = JSON.parse(localStorage.getItem('chatalot.session')!);
		stored.accessExpiresAt = Date.now() - 1000;
		localStorage.setItem('chatalot.session', JSON.stringify(stored));
	});
	await page.reload();
	await expect(page.getByTestId('signed-in-user')).toHaveText('Rotation Tester');
	const after = await page.evaluate(() => JSON.parse(localStorage.getItem('chatalot.session')!));
	expect(after.refreshToken).not.toBe(before.refreshToken);
	expect(after.accessExpiresAt).toBeGreaterThan(Date.now());
	expect(after.sessionId).toBe(before.sessionId);
});
