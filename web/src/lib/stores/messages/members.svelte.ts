// Members of each community the user opened, cached per community: names for message authors,
// the members panel and mention autocomplete. Loaded page by page from
// /api/v1/communities/{id}/members and kept current by `member_changed` / `member_removed`.
import { api, describeError, unwrap, type Schemas } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';

export type Member = Schemas['Member'];

const PAGE = 100;
const MAX_PAGES = 20;

class CommunityMembers {
	byUser = $state<Record<string, Member>>({});
	loaded = $state(false);
	error = $state<string | null>(null);
	#loading: Promise<void> | null = null;

	constructor(readonly communityId: string) {}

	get list(): Member[] {
		return Object.values(this.byUser).sort((a, b) => memberName(a).localeCompare(memberName(b)));
	}

	/** Loads every member (up to 2000) once; later calls wait for the same load. */
	load(): Promise<void> {
		this.#loading ??= this.#fetchAll().finally(() => (this.#loading = null));
		return this.#loading;
	}

	async #fetchAll(): Promise<void> {
		const found: Record<string, Member> = {};
		let after: string | undefined;
		try {
			for (let i = 0; i < MAX_PAGES; i++) {
				const page = await unwrap(
					api.GET('/api/v1/communities/{community_id}/members', {
						params: { path: { community_id: this.communityId }, query: { limit: PAGE, after } }
					})
				);
				for (const member of page.members) found[member.user_id] = member;
				if (!page.next_cursor) break;
				after = page.next_cursor;
			}
			this.byUser = found;
			this.loaded = true;
			this.error = null;
		} catch (err) {
			this.error = describeError(err);
		}
	}

	put(member: Member): void {
		this.byUser[member.user_id] = member;
	}

	remove(userId: string): void {
		delete this.byUser[userId];
	}
}

/** The name shown for a member: their nickname in the community, else their display name. */
export function memberName(member: Member): string {
	return member.nickname || member.display_name || member.username;
}

class MembersDirectory {
	#byCommunity = new Map<string, CommunityMembers>();
	#listening = false;

	/** The community's members (loading them on first use). */
	of(communityId: string): CommunityMembers {
		this.#listen();
		let entry = this.#byCommunity.get(communityId);
		if (!entry) {
			entry = new CommunityMembers(communityId);
			this.#byCommunity.set(communityId, entry);
			void entry.load();
		}
		return entry;
	}

	/** A display name for any user id of the community ("Unknown user" for those who left). */
	nameOf(communityId: string, userId: string): string {
		const member = this.of(communityId).byUser[userId];
		return member ? memberName(member) : 'Unknown user';
	}

	#listen(): void {
		if (this.#listening) return;
		this.#listening = true;
		realtime.on('member_changed', ({ member }) => this.#byCommunity.get(member.community_id)?.put(member));
		realtime.on('member_removed', ({ community_id, user_id }) =>
			this.#byCommunity.get(community_id)?.remove(user_id)
		);
		// Someone who joined while the socket was down: reload after each reconnect.
		realtime.onReady(() => {
			for (const entry of this.#byCommunity.values()) if (entry.loaded) void entry.load();
		});
	}
}

export const members = new MembersDirectory();
