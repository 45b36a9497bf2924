import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { registerViaUi, screenshot, uniqueName } from './fixtures';

interface Caller {
	page: Page;
	name: string;
}

// Contexts left open would stay in their calls during the next test.
const contexts: BrowserContext[] = [];
test.afterEach(async () => {
	await Promise.all(contexts.splice(0).map((context) => context.close()));
});

/** A new context allowed to use the (fake) microphone and camera, with a registered user. */
async function newCaller(browser: Browser, prefix: string): Promise<Caller> {
	const context = await browser.newContext({ permissions: ['microphone', 'camera'] });
	contexts.push(context);
	const page = await context.newPage();
	const name = uniqueName(prefix);
	await registerViaUi(page, name);
	return { page, name };
}

/** Alice creates a community (it comes with a voice channel "Voice") and Bob joins it. */
async function twoMembers(browser: Browser): Promise<{ alice: Caller; bob: Caller }> {
	const alice = await newCaller(browser, 'alice');
	const community = uniqueName('Voice guild ');
	await alice.page.getByRole('button', { name: 'Create a community' }).click();
	await alice.page.getByLabel('Name').fill(community);
	await alice.page.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(alice.page.getByRole('heading', { name: community })).toBeVisible();
	await alice.page.getByRole('button', { name: 'Invite people' }).click();
	await alice.page.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.page.getByTestId('invite-link').inputValue();
	await alice.page.keyboard.press('Escape');

	const bob = await newCaller(browser, 'bob');
	await bob.page.goto(new URL(link).pathname);
	await bob.page.getByRole('button', { name: 'Join community' }).click();
	await expect(bob.page.getByRole('heading', { name: community })).toBeVisible();
	return { alice, bob };
}

/** The tile of `name` in the call grid of `page`. */
function tile(page: Page, name: string) {
	return page.getByTestId('call-tile').filter({ hasText: name });
}

async function expectConnected(page: Page, other: string): Promise<void> {
	await expect(tile(page, other).getByTestId('peer-state')).toHaveText('connected', { timeout: 30_000 });
}

test('two members call each other in a voice channel', async ({ browser }) => {
	const { alice, bob } = await twoMembers(browser);

	// Alice joins first; Bob sees her in the channel before joining.
	await alice.page.getByRole('link', { name: 'Voice channel Voice' }).click();
	await alice.page.getByRole('button', { name: 'Join voice' }).click();
	await expect(alice.page.getByRole('toolbar', { name: 'Call controls' })).toBeVisible();
	await bob.page.getByRole('link', { name: 'Voice channel Voice' }).click();
	await expect(bob.page.getByTestId('call-roster-entry').filter({ hasText: alice.name })).toBeVisible();
	await bob.page.getByRole('button', { name: 'Join voice' }).click();

	// Each sees the other, over a connected peer connection.
	await expectConnected(alice.page, bob.name);
	await expectConnected(bob.page, alice.name);
	await expect(alice.page.getByTestId('call-tile')).toHaveCount(2);

	// Bob mutes: Alice sees the icon; he unmutes: it goes.
	const bobMuted = tile(alice.page, bob.name).getByRole('img', { name: 'Muted' });
	await expect(bobMuted).toHaveCount(0);
	await bob.page.getByRole('button', { name: 'Mute' }).click();
	await expect(bob.page.getByRole('button', { name: 'Mute' })).toHaveAttribute('aria-pressed', 'true');
	await expect(bobMuted).toBeVisible();
	await bob.page.getByRole('button', { name: 'Mute' }).click();
	await expect(bobMuted).toHaveCount(0);

	// Alice turns her camera on (a renegotiation): Bob sees her video, then her avatar again.
	await alice.page.getByRole('button', { name: 'Camera' }).click();
	const aliceVideo = tile(bob.page, alice.name).getByLabel(`Video of ${alice.name}`);
	await expect(aliceVideo).toBeVisible({ timeout: 20_000 });
	await expect
		.poll(() => aliceVideo.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 20_000 })
		.toBeGreaterThan(0);

	await alice.page.evaluate(() => {
		localStorage.setItem('chatalot.theme', 'dark');
		document.documentElement.dataset.theme = 'dark';
	});
	await screenshot(alice.page, 'call-desktop-dark');

	await alice.page.getByRole('button', { name: 'Camera' }).click();
	await expect(aliceVideo).toHaveCount(0);

	// Bob leaves (Alice sees him go) and joins again (connected again).
	await bob.page.getByRole('button', { name: 'Leave' }).click();
	await expect(bob.page.getByRole('button', { name: 'Join voice' })).toBeVisible();
	await expect(tile(alice.page, bob.name)).toHaveCount(0);
	await bob.page.getByRole('button', { name: 'Join voice' }).click();
	await expectConnected(alice.page, bob.name);
	await expectConnected(bob.page, alice.name);

	// Alice owns the community: she may remove Bob from the call.
	await alice.page.getByRole('button', { name: `Remove ${bob.name} from the call` }).click();
	await expect(bob.page.getByText('A moderator removed you from the call.')).toBeVisible();
	await expect(tile(alice.page, bob.name)).toHaveCount(0);
	await expect(bob.page.getByRole('button', { name: `Remove ${alice.name} from the call` })).toHaveCount(0);
});

test('a conversation call, rejoined after a dropped connection', async ({ browser }) => {
	const { alice, bob } = await twoMembers(browser);
	const bobId = await bob.page.evaluate(() => JSON.parse(localStorage.getItem('chatalot.session') ?? '{}').userId as string);
	const conversationId = await alice.page.evaluate(async (memberId) => {
		const { accessToken } = JSON.parse(localStorage.getItem('chatalot.session') ?? '{}') as { accessToken: string };
		const response = await fetch('/api/v1/conversations', {
			method: 'POST',
			headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
			body: JSON.stringify({ member_ids: [memberId] })
		});
		const body = (await response.json()) as { conversation_id: string };
		return body.conversation_id;
	}, bobId);

	// Keep Bob's WebSockets reachable, to cut his connection later, and count his peer connections.
	await bob.page.addInitScript(() => {
		const probe = { sockets: [] as WebSocket[], peers: 0 };
		(window as unknown as { probe: typeof probe }).probe = probe;
		window.WebSocket = class extends WebSocket {
			constructor(url: string | URL, protocols?: string | string[]) {
				super(url, protocols);
				probe.sockets.push(this);
			}
		};
		window.RTCPeerConnection = class extends RTCPeerConnection {
			constructor(config?: RTCConfiguration) {
				super(config);
				probe.peers += 1;
			}
		};
	});
	const bobPeers = () =>
		bob.page.evaluate(() => (window as unknown as { probe: { peers: number } }).probe.peers);
	await alice.page.goto(`/app/dm/${conversationId}`);
	await bob.page.goto(`/app/dm/${conversationId}`);
	await alice.page.getByRole('button', { name: 'Start call' }).click();
	await expect(alice.page.getByRole('region', { name: 'Conversation call' })).toBeVisible();
	await bob.page.getByRole('button', { name: 'Join call (1)' }).click();
	const bobPanel = bob.page.getByRole('region', { name: 'Conversation call' });
	await expect(bobPanel).toBeVisible();
	await expectConnected(alice.page, bob.name);
	await expectConnected(bob.page, alice.name);

	// Bob's WebSocket drops; once it is back his client joins again and the peers reconnect.
	await bob.page.setViewportSize({ width: 360, height: 740 });
	await screenshot(bob.page, 'call-conversation-phone');
	expect(await bobPeers()).toBe(1);
	await bob.page.evaluate(() => {
		for (const socket of (window as unknown as { probe: { sockets: WebSocket[] } }).probe.sockets) socket.close();
	});
	await expect.poll(bobPeers, { timeout: 20_000 }).toBe(2);
	await expect(tile(alice.page, bob.name).getByText('reconnecting…')).toHaveCount(0, { timeout: 20_000 });
	await expectConnected(alice.page, bob.name);
	await expectConnected(bob.page, alice.name);

	await bob.page.getByRole('button', { name: 'Leave' }).click();
	await expect(bobPanel).toHaveCount(0);
	await expect(tile(alice.page, bob.name)).toHaveCount(0);
});
