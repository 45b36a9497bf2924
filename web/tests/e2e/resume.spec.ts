import { expect, test } from '@playwright/test';
import { createCommunity, inviteAndJoin, message, newUser, send } from './fixtures';

test('messages sent while a client was offline arrive once it is back, without a reload', async ({ browser }) => {
	const alice = await newUser(browser, 'alice');
	const community = await createCommunity(alice.page);
	const bob = await newUser(browser, 'bob');
	await inviteAndJoin(alice.page, bob.page, community);
	await send(alice.page, 'before the outage');
	await expect(message(bob.page, 'before the outage')).toBeVisible();

	await bob.page.context().setOffline(true);
	await expect(bob.page.getByTestId('offline-indicator')).toBeVisible();
	for (const text of ['missed one', 'missed two', 'missed three']) await send(alice.page, text);
	// Nothing reaches Bob while he is offline...
	await bob.page.waitForTimeout(500);
	await expect(message(bob.page, /missed/)).toHaveCount(0);

	// ...and once he is back, his client reconnects and the gateway replays what he missed.
	await bob.page.context().setOffline(false);
	await expect(bob.page.getByTestId('offline-indicator')).toBeHidden({ timeout: 30_000 });
	for (const text of ['missed one', 'missed two', 'missed three']) {
		await expect(message(bob.page, text)).toHaveCount(1, { timeout: 30_000 });
	}
	await expect(message(bob.page, 'before the outage')).toHaveCount(1);
});
