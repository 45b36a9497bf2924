// Community management, account settings and instance administration.
import { expect, test, type Page } from '@playwright/test';
import { DATABASE, sql } from './backend';
import { PASSWORD, newUser, registerViaUi, screenshot, uniqueName } from './fixtures';

/** Calls the API as the user signed in on `page` (for checks the UI does not show). */
async function apiAs(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
	return page.evaluate(
		async ({ method, path, body }) => {
			const session = JSON.parse(localStorage.getItem('chatalot.session') ?? '{}') as { accessToken?: string };
			const response = await fetch(path, {
				method,
				headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body)
			});
			const text = await response.text();
			return { status: response.status, json: text ? JSON.parse(text) : null };
		},
		{ method, path, body }
	);
}

/** Opens a channel's settings in the channels tab, then its permission overwrites. */
async function openChannelPermissions(page: Page, channel: string): Promise<void> {
	const details = page.locator('details', { has: page.locator('summary', { hasText: channel }) });
	await details.locator('summary').click();
	await details.getByRole('button', { name: 'Permissions' }).click();
}

/** Pages through the admin user list until the user shows (other tests add users too). */
async function showUser(page: Page, username: string): Promise<void> {
	const row = page.locator(`[data-username="${username}"]`);
	const more = page.getByRole('button', { name: 'Load more' });
	await expect(page.getByTestId('admin-user').first()).toBeVisible();
	while (!(await row.isVisible()) && (await more.isVisible())) {
		await more.click();
		await page.waitForTimeout(300);
	}
	await expect(row).toBeVisible();
}

async function login(page: Page, username: string, password: string): Promise<void> {
	await page.goto('/login');
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
}

test('instance admin: invite-only registration, instance invites, disabling a user, security log', async ({ browser }) => {
	const admin = await newUser(browser, 'admin');
	// Other specs share the database, so this user is made an administrator directly.
	sql(`update auth.users set role = 'admin' where username = '${admin.username}' and role = 'member'`, DATABASE);
	try {
		// Logging in again loads the new role and leaves a login in the security log.
		await admin.page.getByRole('button', { name: 'Log out' }).click();
		await login(admin.page, admin.username, PASSWORD);
		await admin.page.getByRole('link', { name: 'Administration' }).click();
		await expect(admin.page.getByRole('heading', { name: 'Users' })).toBeVisible();
		await showUser(admin.page, admin.username);

		await admin.page.getByRole('button', { name: 'Registration' }).click();
		await admin.page.getByRole('radio', { name: /Invite-only/ }).check();
		await expect(admin.page.getByText('Registration mode saved.')).toBeVisible();
		await admin.page.getByRole('button', { name: 'Create instance invite' }).click();
		await expect(admin.page.getByText('Invite created.')).toBeVisible();
		const code = (await admin.page.getByTestId('instance-invite-code').first().textContent())?.trim() ?? '';
		expect(code).not.toBe('');

		// Without a code the registration is refused with a clear error; with it, it succeeds.
		const invitee = await (await browser.newContext()).newPage();
		const inviteeName = uniqueName('invitee');
		await invitee.goto('/register');
		await invitee.getByLabel('Username').fill(inviteeName);
		await invitee.getByLabel('Password', { exact: true }).fill(PASSWORD);
		await invitee.getByRole('button', { name: 'Register' }).click();
		await expect(invitee.getByRole('alert')).toContainText('invite code');
		await invitee.getByLabel('Instance invite code').fill(code);
		await invitee.getByRole('button', { name: 'Register' }).click();
		await expect(invitee.getByTestId('signed-in-user')).toHaveText(inviteeName);

		// Disabling ends the user's sessions at once, and they cannot log in again.
		await admin.page.getByRole('button', { name: 'Users' }).click();
		await showUser(admin.page, inviteeName);
		await admin.page.getByRole('button', { name: `Disable ${inviteeName}` }).click();
		await expect(admin.page.locator(`[data-username="${inviteeName}"]`)).toContainText('Disabled');
		await screenshot(admin.page, 'admin-users-light');
		await expect(invitee).toHaveURL(/\/login/, { timeout: 10_000 });
		await login(invitee, inviteeName, PASSWORD);
		await expect(invitee.getByRole('alert')).toContainText('disabled');

		// The security log shows the admin's login with its IP address and browser.
		await admin.page.getByRole('button', { name: 'Security log' }).click();
		await admin.page.getByLabel('Action').selectOption('login_succeeded');
		const entry = admin.page.locator('[data-action="login_succeeded"]').first();
		await expect(entry).toContainText('127.0.0.1');
		await expect(entry).toContainText('Mozilla');
	} finally {
		sql(`update auth.instance_settings set registration_mode = 'open'`, DATABASE);
	}
});

test('community settings: channel, role, overwrite, kick', async ({ browser }) => {
	const alice = await newUser(browser, 'alice');
	const name = uniqueName('Manage ');
	await alice.page.getByRole('button', { name: 'Create a community' }).click();
	await alice.page.getByLabel('Name').fill(name);
	await alice.page.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(alice.page.getByRole('heading', { name })).toBeVisible();
	await alice.page.getByRole('link', { name: 'Community settings' }).click();
	await expect(alice.page.getByRole('heading', { name: `${name} settings` })).toBeVisible();
	const settingsUrl = alice.page.url();

	// A text channel with a topic and slow mode.
	await alice.page.getByRole('tab', { name: 'Channels' }).click();
	const newChannel = alice.page.getByRole('form', { name: 'New channel' });
	await newChannel.getByLabel('Channel name').fill('announcements');
	await newChannel.getByLabel('Topic').fill('News only');
	await newChannel.getByLabel('Slow mode (seconds, 0 = off)').fill('10');
	await newChannel.getByRole('button', { name: 'Create channel' }).click();
	await expect(newChannel.getByText('Channel created.')).toBeVisible();
	await expect(alice.page.locator('summary', { hasText: 'announcements' })).toContainText('slow mode 10s');

	// A role with permissions.
	await alice.page.getByRole('tab', { name: 'Roles' }).click();
	const newRole = alice.page.getByRole('form', { name: 'New role' });
	await newRole.getByLabel('Role name').fill('Helpers');
	await newRole.getByRole('checkbox', { name: 'Kick members' }).check();
	await newRole.getByRole('checkbox', { name: 'Manage messages' }).check();
	await newRole.getByRole('button', { name: 'Create role' }).click();
	await expect(alice.page.locator('summary', { hasText: 'Helpers' })).toContainText('2 permissions');
	await screenshot(alice.page, 'community-settings-light');

	// Bob joins with an invite from the invites tab.
	await alice.page.getByRole('tab', { name: 'Invites' }).click();
	await alice.page.getByRole('button', { name: 'Create invite' }).click();
	await alice.page.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.page.getByTestId('invite-link').inputValue();
	await alice.page.getByRole('button', { name: 'Close' }).click();
	await expect(alice.page.getByRole('button', { name: /^Revoke invite / })).toHaveCount(1);
	const bob = await newUser(browser, 'bob');
	await bob.page.goto(new URL(link).pathname);
	await bob.page.getByRole('button', { name: 'Join community' }).click();
	await expect(bob.page.getByRole('link', { name: /^Channel announcements/ })).toBeVisible();

	// @everyone may no longer send messages in #announcements.
	await alice.page.getByRole('tab', { name: 'Channels' }).click();
	await openChannelPermissions(alice.page, 'announcements');
	await alice.page.getByLabel('Add an overwrite for a role').selectOption({ label: '@everyone' });
	await alice.page.getByRole('button', { name: 'Add', exact: true }).click();
	const overwrite = alice.page.getByRole('form', { name: 'Overwrite for @everyone' });
	await overwrite.getByLabel('Send messages').selectOption('deny');
	await overwrite.getByRole('button', { name: 'Save overwrite' }).click();
	await expect(overwrite.getByText('Overwrite saved.')).toBeVisible();

	// Bob now reads but cannot send there: the server refuses and his view says so.
	const communityId = new URL(settingsUrl).pathname.split('/')[3] ?? '';
	await expect
		.poll(async () => {
			const { json } = await apiAs(bob.page, 'GET', `/api/v1/communities/${communityId}/view`);
			const view = json as { channels: { channel: { name: string }; permissions: string[] }[] };
			const channel = view.channels.find((c) => c.channel.name === 'announcements');
			return channel ? channel.permissions.includes('send_messages') : null;
		})
		.toBe(false);
	const channelHref = await bob.page.getByRole('link', { name: /^Channel announcements/ }).getAttribute('href');
	const channelId = channelHref?.split('/').pop() ?? '';
	const sent = await apiAs(bob.page, 'POST', `/api/v1/channels/${channelId}/messages`, { body: 'hello', nonce: 'n1' });
	expect(sent.status).toBe(403);

	// The overwrite is still there after a reload.
	await alice.page.goto(`${settingsUrl}?tab=channels`);
	await openChannelPermissions(alice.page, 'announcements');
	await expect(
		alice.page.getByRole('form', { name: 'Overwrite for @everyone' }).getByLabel('Send messages')
	).toHaveValue('deny');

	// Kicking Bob takes the community out of his sidebar at once.
	const rail = (page: Page) => page.getByRole('list', { name: 'Communities' }).getByRole('link', { name: new RegExp(`^${name}`) });
	await expect(rail(bob.page)).toBeVisible();
	await alice.page.getByRole('tab', { name: 'Members' }).click();
	await alice.page.locator('summary', { hasText: bob.username }).click();
	await alice.page.getByRole('button', { name: 'Kick', exact: true }).click();
	await alice.page.getByRole('button', { name: `Kick ${bob.username}` }).click();
	await expect(alice.page.locator('summary', { hasText: bob.username })).toHaveCount(0);
	await expect(rail(bob.page)).toHaveCount(0);
});

test('account settings: display name, sessions, password, theme', async ({ browser }) => {
	const context = await browser.newContext();
	const page = await context.newPage();
	const username = uniqueName('acct');
	await registerViaUi(page, username);
	await page.getByRole('link', { name: 'Settings' }).click();

	await page.getByLabel('Display name').fill('Renamed Person');
	await page.getByRole('button', { name: 'Save display name' }).click();
	await expect(page.getByTestId('signed-in-user')).toHaveText('Renamed Person');

	// A second device logs in; revoking its session sends it to the login page.
	const other = await (await browser.newContext()).newPage();
	await login(other, username, PASSWORD);
	await expect(other.getByTestId('signed-in-user')).toHaveText('Renamed Person');
	await page.getByRole('button', { name: 'Refresh' }).click();
	await expect(page.getByTestId('session')).toHaveCount(2);
	await page.getByRole('button', { name: /^Revoke session/ }).click();
	await expect(page.getByText('Session revoked.')).toBeVisible();
	await expect(other).toHaveURL(/\/login/, { timeout: 10_000 });

	// A new password works at the next login.
	const newPassword = 'a different long passphrase';
	await page.getByLabel('Current password').fill(PASSWORD);
	await page.getByLabel('New password', { exact: true }).fill(newPassword);
	await page.getByLabel('Repeat new password').fill(newPassword);
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByText(/Password changed/)).toBeVisible();
	await login(other, username, newPassword);
	await expect(other.getByTestId('signed-in-user')).toHaveText('Renamed Person');

	// The theme choice survives a reload.
	await page.getByRole('radio', { name: 'Dark' }).check();
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked();
	await expect(page.getByTestId('push-settings')).toBeAttached();
	await screenshot(page, 'account-settings-dark');
});
