// Whether the browser is online, for the offline indicator.
class Network {
	online = $state(true);

	listen(): void {
		this.online = navigator.onLine;
		window.addEventListener('online', () => (this.online = true));
		window.addEventListener('offline', () => (this.online = false));
	}
}

export const network = new Network();
