import { expect, test } from '@playwright/test';
import { newUser } from './fixtures';

test('the manifest makes the app installable', async ({ request }) => {
	const manifest = await (await request.get('/manifest.webmanifest')).json();
	expect(manifest.display).toBe('standalone');
	expect(manifest.start_url).toBe('/app');
	const sizes = manifest.icons.map((i: { sizes: string }) => i.sizes);
	expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
	for (const icon of manifest.icons) {
		const response = await request.get(icon.src);
		expect(response.ok(), icon.src).toBe(true);
	}
});

test('the app opens offline from the service worker, shows the offline indicator and reconnects by itself', async ({
	browser
}) => {
	const { page } = await newUser(browser, 'pwa');
	// The service worker installs (caching the shell) and takes control.
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

	await page.context().setOffline(true);
	await page.reload();
	await expect(page.getByTestId('offline-indicator')).toBeVisible();
	await expect(page.getByRole('link', { name: 'Home: conversations' })).toBeVisible();

	await page.context().setOffline(false);
	await expect(page.getByTestId('offline-indicator')).toBeHidden({ timeout: 30_000 });
	// Back online, the live connection comes back without a reload: the profile loads again.
	await expect(page.getByTestId('signed-in-user')).not.toBeEmpty({ timeout: 30_000 });
});

test('account settings offer push notifications when the server has a VAPID key', async ({ browser }) => {
	const { page } = await newUser(browser, 'push');
	await page.goto('/app/settings');
	const state = page.getByTestId('push-state');
	await expect(state).toHaveAttribute('data-state', 'off');
	await expect(page.getByRole('button', { name: 'Turn notifications on' })).toBeVisible();
});
