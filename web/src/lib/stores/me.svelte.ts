// The signed-in user's own profile (display name, role), fetched after each `ready`.
import { api, unwrap, type Schemas } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';

export type UserProfile = Schemas['UserProfile'];

class Me {
	profile = $state<UserProfile | null>(null);

	get isAdmin(): boolean {
		return this.profile?.role === 'owner' || this.profile?.role === 'admin';
	}

	async reload(): Promise<void> {
		this.profile = await unwrap(api.GET('/api/v1/users/@me'));
	}

	listen(): void {
		realtime.onReady(() => void this.reload().catch(() => {}));
		realtime.on('user_updated', ({ user }) => {
			if (user.user_id === this.profile?.user_id) this.profile = user;
		});
	}
}

export const me = new Me();
