// A small W3C WebDriver client for the desktop app: tauri-driver (started by the test) hands
// the session to WebKitWebDriver (Debian's webkit2gtk-driver), which drives the app's real
// WebKitGTK window. Only what the test needs: find, type, click, read text, run a script.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverError extends Error {}

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(base + path, {
		method,
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const json = (await response.json().catch(() => ({}))) as { value?: unknown };
	if (!response.ok) {
		throw new WebDriverError(`${method} ${path}: ${response.status} ${JSON.stringify(json.value ?? json)}`);
	}
	return json.value as T;
}

export class Element {
	constructor(
		private readonly session: Session,
		readonly id: string
	) {}

	click(): Promise<void> {
		return this.session.post(`/element/${this.id}/click`, {});
	}

	async type(text: string): Promise<void> {
		await this.session.post(`/element/${this.id}/clear`, {});
		await this.session.post(`/element/${this.id}/value`, { text });
	}

	text(): Promise<string> {
		return this.session.get(`/element/${this.id}/text`);
	}
}

export class Session {
	private constructor(
		private readonly base: string,
		private readonly id: string
	) {}

	/** Starts the app at `application` through the driver listening at `driverUrl`. */
	static async start(driverUrl: string, application: string): Promise<Session> {
		const created = await call<{ sessionId: string }>(driverUrl, 'POST', '/session', {
			capabilities: { alwaysMatch: { 'tauri:options': { application } } }
		});
		return new Session(driverUrl, created.sessionId);
	}

	post<T>(path: string, body: unknown): Promise<T> {
		return call<T>(this.base, 'POST', `/session/${this.id}${path}`, body);
	}

	get<T>(path: string): Promise<T> {
		return call<T>(this.base, 'GET', `/session/${this.id}${path}`);
	}

	async end(): Promise<void> {
		await call(this.base, 'DELETE', `/session/${this.id}`).catch(() => undefined);
	}

	/** Runs `script` (a function body; `arguments` holds `args`) in the page. */
	execute<T>(script: string, args: unknown[] = []): Promise<T> {
		return this.post<T>('/execute/sync', { script, args });
	}

	/** The element `script` returns (a function body run in the page with `args`), or null. */
	async find(script: string, args: unknown[] = []): Promise<Element | null> {
		const found = await this.execute<Record<string, string> | null>(script, args);
		// W3C names the reference ELEMENT; older drivers answer with the legacy 'ELEMENT' key.
		const id = found && (found[ELEMENT] ?? found.ELEMENT);
		return id ? new Element(this, id) : null;
	}

	/** The element `script` finds, waiting for it up to `timeoutMs`. */
	async waitFor(script: string, args: unknown[], what: string, timeoutMs = 20_000): Promise<Element> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const element = await this.find(script, args);
			if (element) return element;
			if (Date.now() > deadline) {
				const url = await this.get<string>('/url').catch(() => '?');
				const body = await this.execute<string>('return document.body.innerText').catch(() => '?');
				throw new WebDriverError(`no ${what} within ${timeoutMs} ms at ${url}; the page says:\n${body}`);
			}
			await new Promise((r) => setTimeout(r, 200));
		}
	}

	/** The form field labelled `label` (by its <label> or aria-label). */
	field(label: string, timeoutMs?: number): Promise<Element> {
		return this.waitFor(
			`const [name] = arguments;
			 for (const l of document.querySelectorAll('label')) {
			   if (l.textContent.trim() === name && l.control) return l.control;
			 }
			 return [...document.querySelectorAll('input, textarea')].find((e) => e.getAttribute('aria-label') === name) ?? null;`,
			[label],
			`field "${label}"`,
			timeoutMs
		);
	}

	/** The visible button or link whose text or aria-label is `name`. */
	control(name: string, timeoutMs?: number): Promise<Element> {
		return this.waitFor(
			`const [name] = arguments;
			 return [...document.querySelectorAll('button, a')].find((e) =>
			   (e.getAttribute('aria-label') === name || e.textContent.trim() === name) && e.getClientRects().length > 0
			 ) ?? null;`,
			[name],
			`button or link "${name}"`,
			timeoutMs
		);
	}

	/** The first element matching `selector` whose text contains `text`. */
	withText(selector: string, text: string, timeoutMs?: number): Promise<Element> {
		return this.waitFor(
			`const [selector, text] = arguments;
			 return [...document.querySelectorAll(selector)].find((e) => e.textContent.includes(text)) ?? null;`,
			[selector, text],
			`${selector} with "${text}"`,
			timeoutMs
		);
	}

	/** Waits until the page's visible text no longer contains `text`. */
	async waitForNoText(text: string, timeoutMs = 20_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (await this.execute<boolean>('return document.body.innerText.includes(arguments[0])', [text])) {
			if (Date.now() > deadline) throw new WebDriverError(`"${text}" still shows after ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 200));
		}
	}

	/** Waits until the page's visible text contains `text`. */
	waitForText(text: string, timeoutMs?: number): Promise<Element> {
		return this.withText('body', text, timeoutMs);
	}
}

