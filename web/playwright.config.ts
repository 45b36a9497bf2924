// End-to-end tests: Debian's Chromium (browsers cannot be downloaded here) against a real
// Chatalot (the debug build, every service in one process) that global-setup.ts starts with its
// own database, NATS namespace and Redis prefix, serving the built client from build/.
import { defineConfig } from '@playwright/test';
import { BASE_URL } from './tests/e2e/backend';

export default defineConfig({
	testDir: 'tests/e2e',
	globalSetup: './tests/e2e/global-setup.ts',
	outputDir: 'test-results',
	timeout: 90_000,
	expect: { timeout: 15_000 },
	fullyParallel: false,
	workers: 1,
	// One retry under CI, so a rare timing flake cannot turn the whole run red; Playwright reports
	// such a test as "flaky" in its summary, and each one is a bug to chase (see docs/web.md).
	retries: process.env.CI ? 1 : 0,
	reporter: [['list']],
	use: {
		baseURL: BASE_URL,
		browserName: 'chromium',
		viewport: { width: 1280, height: 800 },
		launchOptions: {
			executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
			args: [
				'--use-fake-ui-for-media-stream',
				'--use-fake-device-for-media-stream',
				'--autoplay-policy=no-user-gesture-required'
			]
		},
		screenshot: 'only-on-failure',
		trace: 'retain-on-failure'
	}
});
