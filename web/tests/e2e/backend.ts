// Starts and stops the Chatalot the end-to-end tests run against.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { resolve } from 'node:path';

export const PORT = Number(process.env.E2E_PORT ?? 18280);
export const ADMIN_PORT = PORT + 1000;
export const BASE_URL = `http://127.0.0.1:${PORT}`;
export const DATABASE = `chatalot_web_e2e_${PORT}`;
const PG = process.env.TEST_CHATALOT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const DATABASE_URL = `${PG}/${DATABASE}`;

const root = resolve(import.meta.dirname, '../../..');
const binary = process.env.SERVER_BIN ?? resolve(root, 'target/debug/chatalot');
const webRoot = process.env.E2E_WEB_ROOT ?? resolve(root, 'web/build');
export const LOG_FILE = resolve(root, `web/test-results/chatalot-${PORT}.log`);

/** Runs SQL against the maintenance database or the test's (psql, trust auth). */
export function sql(query: string, database = 'postgres'): string {
	return execFileSync('psql', [`${PG}/${database}`, '-XAtq', '-c', query], {
		encoding: 'utf8',
		env: { ...process.env, PGOPTIONS: '--client-min-messages=warning' }
	});
}

export async function startBackend(): Promise<ChildProcess> {
	if (!existsSync(binary)) throw new Error(`${binary} is missing: run cargo build first`);
	if (!existsSync(resolve(webRoot, 'index.html'))) throw new Error(`${webRoot} is missing: run npm run build`);
	sql(`drop database if exists ${DATABASE} with (force)`);
	sql(`create database ${DATABASE}`);
	const { privateKey } = generateKeyPairSync('ed25519');
	const vapid = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const namespace = `web_e2e_${PORT}_${process.pid}`;
	mkdirSync(resolve(root, 'web/test-results'), { recursive: true });
	const log = openSync(LOG_FILE, 'w');
	const child = spawn(binary, [], {
		stdio: ['ignore', log, log],
		env: {
			// Nothing from a developer's own CHATALOT_* configuration leaks into the test server.
			...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHATALOT_'))),
			RUST_LOG: process.env.TEST_LOG ?? 'info',
			CHATALOT_DATABASE__URL: DATABASE_URL,
			CHATALOT_NATS__URL: process.env.TEST_CHATALOT_NATS_URL ?? 'nats://127.0.0.1:4222',
			CHATALOT_NATS__NAMESPACE: namespace,
			CHATALOT_REDIS__URL: process.env.TEST_CHATALOT_REDIS_URL ?? 'redis://127.0.0.1:6379',
			CHATALOT_REDIS__KEY_PREFIX: namespace,
			CHATALOT_GATEWAY__LISTEN: `127.0.0.1:${PORT}`,
			CHATALOT_GATEWAY__PUBLIC_URL: BASE_URL,
			CHATALOT_GATEWAY__WEB_ROOT: webRoot,
			CHATALOT_ADMIN__LISTEN: `127.0.0.1:${ADMIN_PORT}`,
			CHATALOT_JWT__PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
			CHATALOT_PUSH__VAPID_PRIVATE_KEY: vapid.export({ type: 'pkcs8', format: 'pem' }).toString(),
			CHATALOT_PUSH__VAPID_SUBJECT: 'mailto:e2e@example.com',
			// Every browser of the tests comes from 127.0.0.1.
			CHATALOT_AUTH__LOGIN_IP_LIMIT: '10000',
			CHATALOT_AUTH__REGISTER_IP_LIMIT: '10000',
			CHATALOT_ATTACHMENTS__STORE: resolve(root, `web/test-results/attachments-${process.pid}`)
		}
	});
	const deadline = Date.now() + 120_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`chatalot exited (${child.exitCode}); see ${LOG_FILE}`);
		try {
			const response = await fetch(`http://127.0.0.1:${ADMIN_PORT}/readyz`);
			if (response.ok) return child;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`chatalot was not ready within 120 s; see ${LOG_FILE}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
}

export async function stopBackend(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null) return;
	const exited = new Promise((r) => child.once('exit', r));
	child.kill('SIGTERM');
	const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
	await exited;
	clearTimeout(timeout);
}
