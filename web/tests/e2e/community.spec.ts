import { expect, test } from '@playwright/test';
import { newUser, uniqueName } from './fixtures';

test('create a community, invite someone by link, and they join it', async ({ browser }) => {
	const alice = await newUser(browser, 'alice');
	const name = uniqueName('Guild ');
	await alice.page.getByRole('button', { name: 'Create a community' }).click();
	await alice.page.getByLabel('Name').fill(name);
	await alice.page.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(alice.page.getByRole('heading', { name })).toBeVisible();

	await alice.page.getByRole('button', { name: 'Invite people' }).click();
	await alice.page.getByLabel('Maximum uses (empty: unlimited)').fill('5');
	await alice.page.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.page.getByTestId('invite-link').inputValue();
	expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]+$/);

	const bob = await newUser(browser, 'bob');
	await bob.page.goto(new URL(link).pathname);
	await expect(bob.page.getByRole('heading', { name: `Join ${name}` })).toBeVisible();
	await bob.page.getByRole('button', { name: 'Join community' }).click();
	await expect(bob.page).toHaveURL(/\/app\/c\/[0-9a-f-]+\/[0-9a-f-]+$/);
	await expect(bob.page.getByRole('heading', { name })).toBeVisible();
});
