import { expect, test, type Page } from '@playwright/test';
import { sql, DATABASE } from './backend';
import { expectNoCspViolations, newUser, registerViaUi, screenshot, uniqueName } from './fixtures';

/** Alice creates a community and Bob joins it: conversations need a shared community. */
async function neighbours(browser: Parameters<typeof newUser>[0]) {
	const alice = await newUser(browser, 'alice');
	const name = uniqueName('Neighbours ');
	await alice.page.getByRole('button', { name: 'Create a community' }).click();
	await alice.page.getByLabel('Name').fill(name);
	await alice.page.getByRole('button', { name: 'Create', exact: true }).click();
	await expect(alice.page.getByRole('heading', { name })).toBeVisible();
	await alice.page.getByRole('button', { name: 'Invite people' }).click();
	await alice.page.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.page.getByTestId('invite-link').inputValue();
	await alice.page.keyboard.press('Escape');

	const join = async (prefix: string) => {
		const user = await newUser(browser, prefix);
		await user.page.goto(new URL(link).pathname);
		await user.page.getByRole('button', { name: 'Join community' }).click();
		await expect(user.page).toHaveURL(/\/app\/c\//);
		return user;
	};
	return { alice, bob: await join('bob'), join };
}

async function send(page: Page, text: string) {
	await page.getByLabel('Encrypted message').fill(text);
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(messageWith(page, text)).toBeVisible();
}

const messageWith = (page: Page, text: string) => page.getByTestId('dm-message').filter({ hasText: text });

test('two people exchange end-to-end encrypted messages; the server stores only ciphertext', async ({
	browser
}) => {
	test.setTimeout(60_000);
	const { alice, bob } = await neighbours(browser);
	await bob.page.getByRole('link', { name: 'Home: conversations' }).click();
	await alice.page.getByRole('link', { name: 'Home: conversations' }).click();

	await alice.page.getByRole('button', { name: 'New conversation' }).click();
	await alice.page.getByLabel('Usernames').fill(bob.username);
	await alice.page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(alice.page).toHaveURL(/\/app\/dm\/[0-9a-f-]+$/);
	const conversationId = alice.page.url().split('/').pop() ?? '';

	const first = `first secret ${uniqueName('p')}: the key is under the mat`;
	await send(alice.page, first);
	await expect(messageWith(alice.page, first).getByRole('img', { name: 'End-to-end encrypted' })).toBeVisible();

	// Bob sees the conversation arrive as unread, opens it and reads the message.
	const entry = bob.page.getByRole('link', { name: `${alice.username} (unread)` });
	await expect(entry).toBeVisible();
	await entry.click();
	await expect(messageWith(bob.page, first)).toBeVisible();
	await expect(messageWith(bob.page, first).getByRole('img', { name: 'End-to-end encrypted' })).toBeVisible();

	// Replies in both directions while both have it open.
	const reply = `reply secret ${uniqueName('p')}: thanks, see you at nine`;
	await send(bob.page, reply);
	await expect(messageWith(alice.page, reply)).toBeVisible();
	const third = `third secret ${uniqueName('p')}: bring the blue folder`;
	await send(alice.page, third);
	await expect(messageWith(bob.page, third)).toBeVisible();
	await expect(alice.page.getByTestId('dm-seen')).toHaveText('Seen');
	await expect(bob.page.getByTestId('dm-undecryptable')).toHaveCount(0);
	await expect(alice.page.getByTestId('dm-undecryptable')).toHaveCount(0);
	await screenshot(alice.page, 'dm-desktop-light');

	// The database holds ciphertexts only: no column of any message or envelope row shows a
	// plaintext, as text or as the hex PostgreSQL prints for bytes.
	const rows = sql(
		`select count(*) from message.envelope_recipients r join message.conversation_messages m using (message_id)
		  where m.conversation_id = '${conversationId}' and length(r.ciphertext) > 0`,
		DATABASE
	);
	expect(Number(rows.trim())).toBeGreaterThanOrEqual(3);
	const dump = sql(
		`select m::text || ' ' || coalesce((select string_agg(r::text, ' ') from message.envelope_recipients r
		          where r.message_id = m.message_id), '')
		   from message.conversation_messages m where m.conversation_id = '${conversationId}'`,
		DATABASE
	);
	expect(dump.length).toBeGreaterThan(100);
	const everything = sql(
		`select string_agg(t::text, ' ') from message.conversation_messages t`,
		DATABASE
	) + sql(`select string_agg(t::text, ' ') from message.envelope_recipients t`, DATABASE);
	for (const plaintext of [first, reply, third]) {
		const hex = Buffer.from(plaintext, 'utf8').toString('hex');
		for (const fragment of [plaintext, plaintext.slice(0, 12), hex.slice(0, 24)]) {
			expect(dump).not.toContain(fragment);
			expect(everything).not.toContain(fragment);
		}
	}

	// History survives a reload (the plaintext kept on the device; ratchet keys are single-use).
	await bob.page.reload();
	await expect(messageWith(bob.page, first)).toBeVisible();
	await expect(messageWith(bob.page, reply)).toBeVisible();
	await expect(messageWith(bob.page, third)).toBeVisible();
	await expect(bob.page.getByTestId('dm-undecryptable')).toHaveCount(0);

	// The same conversation at phone width.
	await bob.page.setViewportSize({ width: 360, height: 740 });
	await expect(bob.page.getByLabel('Encrypted message')).toBeVisible();
	await expect(bob.page.getByRole('navigation', { name: 'Communities and channels' })).not.toBeInViewport();
	await screenshot(bob.page, 'dm-phone');
	// The gateway's Content-Security-Policy let WebAssembly, the socket and the worker run.
	await expectNoCspViolations(alice.page);
	await expectNoCspViolations(bob.page);
});

test('safety numbers match on both sides and a contact can be marked verified', async ({ browser }) => {
	test.setTimeout(60_000);
	const { alice, bob } = await neighbours(browser);
	await alice.page.getByRole('link', { name: 'Home: conversations' }).click();
	await alice.page.getByRole('button', { name: 'New conversation' }).click();
	await alice.page.getByLabel('Usernames').fill(bob.username);
	await alice.page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(alice.page).toHaveURL(/\/app\/dm\/[0-9a-f-]+$/);
	const path = new URL(alice.page.url()).pathname;
	await send(alice.page, 'hello, shall we compare numbers?');

	await alice.page.getByRole('button', { name: 'Safety numbers' }).click();
	const aliceDigits = (await alice.page.getByTestId('safety-number').innerText()).replace(/\s+/g, '');
	expect(aliceDigits).toMatch(/^[0-9]{60}$/);
	await screenshot(alice.page, 'safety-number');

	await bob.page.goto(path);
	await expect(messageWith(bob.page, 'hello, shall we compare numbers?')).toBeVisible();
	await bob.page.getByRole('button', { name: 'Safety numbers' }).click();
	const bobDigits = (await bob.page.getByTestId('safety-number').innerText()).replace(/\s+/g, '');
	expect(bobDigits).toBe(aliceDigits);

	await alice.page.getByRole('button', { name: 'Mark as verified' }).click();
	await expect(alice.page.getByTestId('verified-badge')).toBeVisible();
	await alice.page.getByRole('button', { name: 'Close' }).click();
	await bob.page.getByRole('button', { name: 'Close' }).click();

	// An image is encrypted on Alice's device and decrypted on Bob's, shown inline.
	await alice.page.locator('input[type=file]').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PIXEL });
	await expect(alice.page.getByRole('img', { name: 'pixel.png' })).toBeVisible();
	const image = bob.page.getByRole('img', { name: 'pixel.png' });
	await expect(image).toBeVisible();
	expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
});

const PIXEL = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
	'base64'
);

test('a group conversation uses sender keys and every member reads every message', async ({ browser }) => {
	test.setTimeout(60_000);
	const { alice, bob, join } = await neighbours(browser);
	const carol = await join('carol');
	await alice.page.getByRole('link', { name: 'Home: conversations' }).click();
	await alice.page.getByRole('button', { name: 'New conversation' }).click();
	await alice.page.getByLabel('Usernames').fill(`${bob.username}, ${carol.username}`);
	await alice.page.getByLabel('Group name (optional)').fill('Book club');
	await alice.page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(alice.page.getByRole('heading', { name: 'Book club' })).toBeVisible();
	const path = new URL(alice.page.url()).pathname;

	await send(alice.page, 'group hello from alice');
	for (const member of [bob, carol]) {
		await member.page.goto(path);
		await expect(messageWith(member.page, 'group hello from alice')).toBeVisible();
	}
	await send(bob.page, 'bob agrees');
	await send(carol.page, 'carol brings tea');
	for (const member of [alice, bob, carol]) {
		await expect(messageWith(member.page, 'bob agrees')).toBeVisible();
		await expect(messageWith(member.page, 'carol brings tea')).toBeVisible();
		await expect(member.page.getByTestId('dm-undecryptable')).toHaveCount(0);
	}
	await expect(alice.page.getByTestId('dm-seen')).toContainText('Seen by');

	// Group messages went out as sender-key messages (first byte 0x33), the same bytes for each
	// device; the handovers before them as pairwise ones.
	const conversationId = path.split('/').pop() ?? '';
	const kinds = sql(
		`select get_byte(r.ciphertext, 0) as kind, count(*) from message.envelope_recipients r
		   join message.conversation_messages m using (message_id)
		  where m.conversation_id = '${conversationId}' group by 1 order by 1`,
		DATABASE
	);
	expect(kinds).toMatch(/^51\|6$/m); // three group messages, two recipient devices each
});

test('without its encryption module the app says so and never sends plaintext', async ({ browser }) => {
	const context = await browser.newContext();
	await context.route('**/*.wasm', (route) => route.abort());
	const page = await context.newPage();
	await registerViaUi(page, uniqueName('nowasm'));
	await expect(page.getByRole('alert').filter({ hasText: 'Encrypted conversations are unavailable' })).toBeVisible();
	await context.close();
});
