import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { composer, createCommunity, newUser, registerViaUi, send } from './fixtures';
import { fakeDesktop } from './desktop-fake';

/** axe-core's WCAG 2.1 A/AA rules on the page as it is; serious and critical findings fail. */
async function expectAccessible(page: Page, what: string): Promise<void> {
	const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
	const serious = results.violations
		.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
	expect(serious, `${what}: accessibility violations`).toEqual([]);
}

test('the main screens have no serious accessibility violations, in both themes', async ({ browser }) => {
	const { page } = await newUser(browser, 'a11y');
	await createCommunity(page);
	await send(page, 'An accessible message');
	await composer(page).fill('A [link](https://example.com) and **bold** text');
	await composer(page).press('Enter');
	await expect(page.getByTestId('message').getByRole('link', { name: 'link' })).toBeVisible();
	for (const theme of ['light', 'dark']) {
		await page.evaluate((t) => {
			localStorage.setItem('chatalot.theme', t);
			document.documentElement.dataset.theme = t;
		}, theme);
		await expectAccessible(page, `channel (${theme})`);
	}
	await page.goto('/app/settings');
	await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
	await expectAccessible(page, 'account settings');
	await page.goto('/app');
	await expectAccessible(page, 'home');
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login/);
	await expectAccessible(page, 'login');
});

test('the app can be used from the keyboard: tab to the composer and send', async ({ browser }) => {
	const { page } = await newUser(browser, 'keys');
	await createCommunity(page);
	// Every control on the way is reachable with Tab; the composer takes Enter to send.
	for (let i = 0; i < 40; i++) {
		await page.keyboard.press('Tab');
		const name = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
		if (name.startsWith('Message #')) break;
	}
	await page.keyboard.type('sent from the keyboard');
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('message').filter({ hasText: 'sent from the keyboard' })).toBeVisible();
});

test('the desktop screens (connect, settings) have no serious accessibility violations', async ({ browser }) => {
	const context = await browser.newContext({ bypassCSP: true });
	await fakeDesktop(context, null);
	const page = await context.newPage();
	await page.goto('/');
	await expect(page.getByLabel('Server address')).toBeVisible();
	await page.getByRole('button', { name: 'Connect' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await expectAccessible(page, 'connect with an error');
	await page.evaluate(() => {
		const s = JSON.parse(localStorage.getItem('test.fake-desktop') ?? '{}') as Record<string, unknown>;
		localStorage.setItem('test.fake-desktop', JSON.stringify({ ...s, server_url: location.origin }));
	});
	await registerViaUi(page, `a11ydesk${Date.now().toString(36)}`);
	await page.goto('/app/settings');
	await expect(page.getByRole('heading', { name: 'Desktop app' })).toBeVisible();
	await expectAccessible(page, 'desktop settings');
});
