// Display names of call participants, looked up once each among the members of a community
// (a voice channel's, or for conversations any the user shares with them: there is no profile
// lookup outside communities).
import { api, unwrap } from '$lib/api/client';
import { communities } from '$lib/stores/communities.svelte';

class ParticipantNames {
	byId = $state<Record<string, string>>({});
	#asked = new Set<string>();

	/** The name known for `userId`, or a placeholder. */
	of(userId: string): string {
		return this.byId[userId] ?? `User ${userId.slice(-6)}`;
	}

	/** Remembers a name learnt elsewhere. */
	set(userId: string, name: string): void {
		if (this.byId[userId] !== name) this.byId[userId] = name;
	}

	/** Looks `userId` up among the members of `communityId` (once). */
	request(communityId: string, userId: string): void {
		void this.#lookUp(communityId, userId);
	}

	/** Looks `userId` up in the user's communities, one after the other, until found. */
	async requestAnywhere(userId: string): Promise<void> {
		for (const view of communities.list) {
			if (this.byId[userId] || (await this.#lookUp(view.community.community_id, userId))) return;
		}
	}

	async #lookUp(communityId: string, userId: string): Promise<boolean> {
		const key = `${communityId}:${userId}`;
		if (this.byId[userId]) return true;
		if (this.#asked.has(key)) return false;
		this.#asked.add(key);
		try {
			const member = await unwrap(
				api.GET('/api/v1/communities/{community_id}/members/{user_id}', {
					params: { path: { community_id: communityId, user_id: userId } }
				})
			);
			this.set(userId, member.nickname || member.display_name);
			return true;
		} catch {
			return false;
		}
	}
}

export const participantNames = new ParticipantNames();
