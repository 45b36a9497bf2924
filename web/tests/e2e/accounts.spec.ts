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
