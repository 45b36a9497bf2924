import { expect, test } from '@playwright/test';
import { composer, createCommunity, message, registerViaUi, uniqueName } from './fixtures';

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

test('on a phone-sized screen the navigation is a drawer and the chat is usable', async ({ page }) => {
	await registerViaUi(page, uniqueName('phone'));
	// The navigation starts hidden behind its toggle, leaving the page the whole width.
	const toggle = page.getByRole('button', { name: 'Open navigation' });
	await expect(toggle).toBeVisible();
	await toggle.tap();
	const community = await createCommunity(page);

	// After navigating, the drawer closes and the channel fills the screen.
	await expect(page.getByRole('button', { name: 'Open navigation' })).toBeVisible();
	const box = await composer(page).boundingBox();
	expect(box).not.toBeNull();
	expect(box!.width).toBeGreaterThan(250);
	expect(box!.x + box!.width).toBeLessThanOrEqual(390);
	await composer(page).fill('hello from a phone');
	await composer(page).press('Enter');
	await expect(message(page, 'hello from a phone')).toBeVisible();
	const noHorizontalScroll = await page.evaluate(
		() => document.documentElement.scrollWidth <= window.innerWidth
	);
	expect(noHorizontalScroll).toBe(true);

	await page.getByRole('button', { name: 'Open navigation' }).tap();
	await expect(page.getByRole('heading', { name: community })).toBeInViewport();
});
