// Loads the WebAssembly build of chatalot-crypto once, at app start-up. The package comes from
// scripts/build-wasm.sh (./pkg, not committed); when it is missing or fails to load, encrypted
// conversations are disabled and say why: there is never a plaintext fallback.
import type { CryptoApi, CryptoModule } from './crypto-api';

// Globs, not imports: a checkout without the built package still type-checks and builds.
const modules = import.meta.glob<CryptoModule>('./pkg/chatalot_crypto_wasm.js');
const wasmUrls = import.meta.glob<string>('./pkg/chatalot_crypto_wasm_bg.wasm', {
	query: '?url',
	import: 'default',
	eager: true
});

let loading: Promise<CryptoApi> | null = null;

/** The crypto functions, or a rejection explaining why encryption is unavailable. */
export function loadCrypto(): Promise<CryptoApi> {
	loading ??= load().catch((err: unknown) => {
		loading = null; // let a later call try again (after a network failure, say)
		throw err;
	});
	return loading;
}

async function load(): Promise<CryptoApi> {
	const importModule = Object.values(modules)[0];
	const url = Object.values(wasmUrls)[0];
	if (!importModule || !url) {
		throw new Error(
			'This build of Chatalot has no encryption module (run web/scripts/build-wasm.sh before building).'
		);
	}
	if (typeof WebAssembly !== 'object') {
		throw new Error('This browser cannot run WebAssembly, which end-to-end encryption needs.');
	}
	try {
		const module = await importModule();
		await module.default({ module_or_path: url });
		return module;
	} catch (err) {
		throw new Error(`The encryption module failed to load: ${String(err)}`);
	}
}
