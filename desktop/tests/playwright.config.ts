// The desktop end-to-end test (desktop.spec.ts): run by scripts/check-desktop.sh, which starts
// Xvfb, the D-Bus session, the keychain and the notification daemon it needs. Chromium (Debian's)
// is only for the other person in the conversation; the app itself is driven over WebDriver.
import { defineConfig } from '@playwright/test';

export default defineConfig({
	testDir: '.',
	outputDir: '../test-results/playwright',
	timeout: 240_000,
	expect: { timeout: 20_000 },
	workers: 1,
	retries: 0,
	reporter: [['list']],
	use: {
		browserName: 'chromium',
		viewport: { width: 1100, height: 760 },
		launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
		screenshot: 'only-on-failure',
		trace: 'retain-on-failure'
	}
});
