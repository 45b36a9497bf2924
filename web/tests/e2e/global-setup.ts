import { startBackend, stopBackend } from './backend';

export default async function globalSetup(): Promise<() => Promise<void>> {
	const backend = await startBackend();
	return () => stopBackend(backend);
}
