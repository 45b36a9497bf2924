import { expect, test, type Page } from '@playwright/test';
import { deflateSync } from 'node:zlib';
import {
	composer,
	createCommunity,
	expectNoCspViolations,
	message,
	newUser,
	screenshot,
	send,
	uniqueName
} from './fixtures';

/** A small PNG (a 24x16 gradient), built here so the test needs no fixture file. */
function pngBuffer(width = 24, height = 16): Buffer {
	const crcTable = Array.from({ length: 256 }, (_, n) => {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		return c >>> 0;
	});
	const crc32 = (data: Buffer) => {
		let c = 0xffffffff;
		for (const byte of data) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
		return (c ^ 0xffffffff) >>> 0;
	};
	const chunk = (type: string, data: Buffer) => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(body));
		return Buffer.concat([length, body, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
	const rows: number[] = [];
	for (let y = 0; y < height; y++) {
		rows.push(0);
		for (let x = 0; x < width; x++) rows.push((x * 10) & 255, (y * 15) & 255, 180);
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', deflateSync(Buffer.from(rows))),
		chunk('IEND', Buffer.alloc(0))
	]);
}

async function act(page: Page, text: string, action: string): Promise<void> {
	const row = message(page, text).first();
	await row.hover();
	await row.getByRole('button', { name: action }).click();
}

test('two people chat live: send, edit, react, reply, thread, image, search', async ({ browser }) => {
	const alice = await newUser(browser, 'alice');
	const community = await createCommunity(alice.page);

	await alice.page.getByRole('button', { name: 'Invite people' }).click();
	await alice.page.getByRole('button', { name: 'Create invite link' }).click();
	const link = await alice.page.getByTestId('invite-link').inputValue();
	await alice.page.keyboard.press('Escape');

	const bob = await newUser(browser, 'bob');
	await bob.page.goto(new URL(link).pathname);
	await bob.page.getByRole('button', { name: 'Join community' }).click();
	await expect(bob.page.getByRole('heading', { name: community })).toBeVisible();
	await expect(composer(bob.page)).toBeVisible();

	// Live in both directions.
	await send(alice.page, 'Hello Bob, welcome');
	await expect(message(bob.page, 'Hello Bob, welcome')).toBeVisible();
	await expect(message(bob.page, 'Hello Bob, welcome')).toContainText(alice.username);
	await send(bob.page, 'Hi Alice, glad to be here');
	await expect(message(alice.page, 'Hi Alice, glad to be here')).toBeVisible();

	// Alice edits; Bob sees the new text marked "(edited)" and its history.
	await act(alice.page, 'Hello Bob, welcome', 'Edit message');
	const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
	await editor.fill('Hello Bob, welcome aboard');
	await editor.press('Enter');
	const edited = message(bob.page, 'Hello Bob, welcome aboard');
	await expect(edited).toBeVisible();
	await expect(edited.getByRole('button', { name: '(edited)' })).toBeVisible();
	await edited.getByRole('button', { name: '(edited)' }).click();
	const history = bob.page.getByRole('dialog', { name: 'Edit history' });
	await expect(history).toContainText('Hello Bob, welcome');
	await bob.page.keyboard.press('Escape');
	await expect(history).toBeHidden();

	// Bob reacts; Alice sees the count.
	await act(bob.page, 'welcome aboard', 'Add reaction');
	await bob.page.getByRole('button', { name: 'React with 👍' }).click();
	await expect(message(alice.page, 'welcome aboard').getByTestId('reaction-count')).toHaveText('1');
	await expect(message(bob.page, 'welcome aboard').getByRole('button', { name: /👍 1 reaction, including yours/ })).toBeVisible();

	// Bob replies to Alice's message: the reply quotes it.
	await act(bob.page, 'welcome aboard', 'Reply');
	await expect(bob.page.getByText(/^Replying to/)).toBeVisible();
	await send(bob.page, 'Thanks for the invite');
	const reply = message(alice.page, 'Thanks for the invite');
	await expect(reply.getByTestId('reply-preview')).toContainText('welcome aboard');

	// Alice starts a thread under Bob's first message; Bob opens it from the summary.
	await act(alice.page, 'glad to be here', 'Open thread');
	const aliceThread = alice.page.getByTestId('thread-panel');
	await expect(aliceThread).toContainText('glad to be here');
	await alice.page.getByRole('combobox', { name: 'Reply in thread' }).fill('A thread about arrivals');
	await alice.page.getByRole('combobox', { name: 'Reply in thread' }).press('Enter');
	await expect(aliceThread).toContainText('A thread about arrivals');
	await message(bob.page, 'glad to be here').getByRole('button', { name: '1 reply' }).click();
	await expect(bob.page.getByTestId('thread-panel')).toContainText('A thread about arrivals');
	await bob.page.getByRole('button', { name: 'Close Thread' }).click();
	await alice.page.getByRole('button', { name: 'Close Thread' }).click();

	// Typing shows on the other side; a mention chosen from the list reaches Alice highlighted.
	// The server announces typing at most every 5 s per person: type slowly enough to cross a window.
	await composer(bob.page).pressSequentially('@' + alice.username.slice(0, 4), { delay: 1500 });
	await expect(alice.page.getByText(`${bob.username} is typing…`)).toBeVisible();
	await expect(bob.page.getByRole('option', { name: new RegExp(alice.username) })).toBeVisible();
	await composer(bob.page).press('Enter');
	await expect(composer(bob.page)).toHaveValue(`@${alice.username} `);
	await composer(bob.page).pressSequentially('look at this');
	await composer(bob.page).press('Enter');
	const mention = message(alice.page, 'look at this').locator('.mention-me');
	await expect(mention).toHaveText(`@${alice.username}`);

	// Alice pins Bob's message; it is listed in the pins panel.
	await act(alice.page, 'look at this', 'Pin message');
	await alice.page.getByRole('button', { name: 'Pinned messages' }).click();
	await expect(alice.page.getByRole('complementary', { name: 'Pinned messages' })).toContainText('look at this');
	await alice.page.getByRole('button', { name: 'Close Pinned messages' }).click();

	// Alice attaches an image with the file picker; Bob sees it inline and opens the lightbox.
	await alice.page.getByTestId('file-input').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: pngBuffer() });
	await expect(alice.page.getByRole('progressbar', { name: 'Uploading gradient.png' })).toHaveAttribute('value', '1');
	await send(alice.page, 'Here is a picture');
	const picture = message(bob.page, 'Here is a picture').getByRole('img', { name: 'gradient.png' });
	await expect(picture).toBeVisible();
	await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(24);
	await message(bob.page, 'Here is a picture').getByRole('button', { name: 'Open image gradient.png' }).click();
	await expect(bob.page.getByRole('dialog', { name: 'Image gradient.png' })).toBeVisible();
	await bob.page.keyboard.press('Escape');
	await expect(bob.page.getByRole('dialog', { name: 'Image gradient.png' })).toBeHidden();

	// Alice forwards her message (into the same channel here); Bob sees where it came from.
	await act(alice.page, 'welcome aboard', 'Forward message');
	const forward = alice.page.getByRole('dialog', { name: 'Forward message' });
	await forward.getByLabel('To channel').selectOption({ label: `${community} › #general` });
	await forward.getByRole('button', { name: 'Forward' }).click();
	await expect(forward.getByText('Forwarded.')).toBeVisible();
	await alice.page.keyboard.press('Escape');
	await expect(message(bob.page, `Forwarded from ${alice.username}`)).toContainText('welcome aboard');

	// Search finds a message.
	await bob.page.getByRole('button', { name: 'Search messages' }).click();
	await bob.page.getByLabel('Search text').fill('arrivals');
	await bob.page.getByRole('button', { name: 'Search', exact: true }).click();
	const results = bob.page.getByRole('list', { name: 'Search results' });
	await expect(results).toContainText('A thread about arrivals');
	await bob.page.getByLabel('Search text').fill('picture');
	await bob.page.getByRole('button', { name: 'Search', exact: true }).click();
	await expect(results).toContainText('Here is a picture');
	await results.getByRole('button').first().click();
	await expect(bob.page).toHaveURL(/message=/);
	await expect(bob.page.locator('.message.highlighted')).toContainText('Here is a picture');

	await screenshot(alice.page, 'chat-desktop-light');
	const dark = () => {
		localStorage.setItem('chatalot.theme', 'dark');
		document.documentElement.dataset.theme = 'dark';
	};
	await alice.page.evaluate(dark);
	await screenshot(alice.page, 'chat-desktop-dark');

	await bob.page.getByRole('button', { name: 'Close Search messages' }).click();
	await bob.page.setViewportSize({ width: 390, height: 844 });
	await expect(bob.page.getByRole('complementary', { name: 'Members' })).toBeHidden();
	await expect(bob.page.getByRole('button', { name: 'Open navigation' })).toBeVisible();
	await expect(composer(bob.page)).toBeVisible();
	await expect(bob.page.getByRole('navigation', { name: 'Communities and channels' })).not.toBeInViewport();
	await screenshot(bob.page, 'chat-phone-light');
	await bob.page.evaluate(dark);
	await screenshot(bob.page, 'chat-phone-dark');
	// Images (blob: previews included), styles and the socket passed the gateway's policy.
	await expectNoCspViolations(alice.page);
	await expectNoCspViolations(bob.page);
});

test('older history loads when scrolling back', async ({ browser }) => {
	const alice = await newUser(browser, 'hist');
	await createCommunity(alice.page);
	const channelId = alice.page.url().split('/').pop() as string;

	const failures = await alice.page.evaluate(async (channel) => {
		const { accessToken } = JSON.parse(localStorage.getItem('chatalot.session') ?? '{}') as { accessToken: string };
		const failed: string[] = [];
		for (let i = 1; i <= 60; i++) {
			const response = await fetch(`/api/v1/channels/${channel}/messages`, {
				method: 'POST',
				headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
				body: JSON.stringify({ nonce: `history-${i}`, body: `History message ${i}` })
			});
			if (response.status !== 201) failed.push(`${i}: ${response.status}`);
		}
		return failed;
	}, channelId);
	expect(failures).toEqual([]);

	await alice.page.reload();
	const log = alice.page.getByRole('log', { name: 'Messages' });
	await expect(alice.page.getByText('History message 60', { exact: true })).toBeVisible();
	await expect(alice.page.getByText('History message 1', { exact: true })).toHaveCount(0);

	// Scrolling to the top loads the older page and keeps the view where it was.
	await expect(alice.page.getByText('History message 11', { exact: true })).toBeVisible();
	await log.evaluate((node) => node.scrollTo({ top: 0 }));
	await expect(alice.page.getByTestId('message')).toHaveCount(60);
	await expect(alice.page.getByText('History message 11', { exact: true })).toBeInViewport();
	await expect(alice.page.getByText('History message 1', { exact: true })).not.toBeInViewport();
	await log.evaluate((node) => node.scrollTo({ top: 0 }));
	await expect(alice.page.getByText('History message 1', { exact: true })).toBeInViewport();
	await expect(alice.page.getByText('This is the beginning of the channel.')).toBeVisible();
	await expect(alice.page.getByTestId('message')).toHaveCount(60);
	// Oldest first, without duplicates.
	const bodies = await alice.page.locator('[data-testid="message"] .body p').allTextContents();
	expect(bodies).toEqual(Array.from({ length: 60 }, (_, i) => `History message ${i + 1}`));
});
