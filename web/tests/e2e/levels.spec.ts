// Notification levels per channel and per conversation: chosen from the headers' menus, kept by
// the server (so a reload and another device see them), back to the default with "Default"; in
// the desktop they decide which messages notify.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { PORT } from './backend';
import { composer, createCommunity, newUser, registerViaUi, uniqueName } from './fixtures';
import { desktopCalls, fakeDesktop } from './desktop-fake';

const menu = (page: Page, name: string) => page.getByRole('combobox', { name: `Notifications for ${name}` });

async function desktopUser(browser: Browser): Promise<{ page: Page; username: string }> {
	const context = await browser.newContext({ bypassCSP: true });
	await fakeDesktop(context, `http://localhost:${PORT}`);
	const page = await context.newPage();
	const username = uniqueName('lvl');
	await registerViaUi(page, username);
	return { page, username };
}

test('a channel’s level is chosen from its header, kept by the server and reset to the default', async ({ browser }) => {
	const { page } = await newUser(browser, 'levels');
	await createCommunity(page);
	const channel = menu(page, '#general');
	await expect(channel).toHaveValue('default');
	await expect(channel.locator('option[value="default"]')).toHaveText('Default (Only mentions)');
	await channel.selectOption({ label: 'All messages' });
	await expect(channel).toBeEnabled();
	await page.reload();
	await expect(menu(page, '#general')).toHaveValue('all');
	await menu(page, '#general').selectOption({ label: 'Nothing' });
	await expect(menu(page, '#general')).toBeEnabled();
	await page.reload();
	await expect(menu(page, '#general')).toHaveValue('none');
	await menu(page, '#general').selectOption({ label: 'Default (Only mentions)' });
	await expect(menu(page, '#general')).toBeEnabled();
	await page.reload();
	await expect(menu(page, '#general')).toHaveValue('default');
	await expect(menu(page, '#general')).toHaveAttribute('data-level', 'mentions');
});

test('in the desktop, levels decide what notifies: all messages of a channel, nothing of a conversation', async ({ browser }) => {
	test.setTimeout(120_000);
	const alice = await desktopUser(browser);
	const community = await createCommunity(alice.page);
	const channelUrl = alice.page.url();
	await menu(alice.page, '#general').selectOption({ label: 'All messages' });
	await expect(menu(alice.page, '#general')).toBeEnabled();
	await alice.page.getByRole('button', { name: 'Invite people' }).click();
	await alice.page.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.page.getByTestId('invite-link').inputValue();
	await alice.page.keyboard.press('Escape');

	const bob = await newUser(browser, 'lvlbob');
	await bob.page.goto(new URL(link).pathname);
	await bob.page.getByRole('button', { name: 'Join community' }).click();
	await expect(composer(bob.page)).toBeVisible();

	// Bob opens a conversation; Alice silences it.
	await bob.page.getByRole('link', { name: 'Home: conversations' }).click();
	await bob.page.getByRole('button', { name: 'New conversation' }).click();
	await bob.page.getByLabel('Usernames').fill(alice.username);
	await bob.page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(bob.page).toHaveURL(/\/app\/dm\/[0-9a-f-]+$/);
	const dmUrl = new URL(bob.page.url()).pathname;
	await alice.page.goto(dmUrl);
	await menu(alice.page, bob.username).selectOption({ label: 'Nothing' });
	await expect(menu(alice.page, bob.username)).toBeEnabled();

	await alice.page.goto('/app/settings');
	await expect(alice.page.getByRole('heading', { name: 'Settings' })).toBeVisible();
	await bob.page.getByLabel('Encrypted message').fill('hush, no notification');
	await bob.page.getByRole('button', { name: 'Send' }).click();
	await bob.page.goto(new URL(channelUrl).pathname);
	await composer(bob.page).fill('plain channel talk');
	await composer(bob.page).press('Enter');
	const notes = async () => (await desktopCalls(alice.page, 'notify')).map((c) => c.args);
	await expect.poll(notes).toContainEqual({ title: `${bob.username} in #general (${community})`, body: 'plain channel talk' });
	expect((await notes()).filter((n) => String(n.body).includes('hush'))).toEqual([]);
});
