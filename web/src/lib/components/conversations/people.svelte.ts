// Names of the people in conversations. There is no user lookup by id or username outside
// communities, and conversations need a shared community anyway, so people are found among the
// members of the user's communities.
import { api, ApiFailure, unwrap, type Schemas } from '$lib/api/client';
import { communities } from '$lib/stores/communities.svelte';

export interface Person {
	userId: string;
	username: string;
	displayName: string;
}

function fromMember(member: Schemas['Member']): Person {
	return { userId: member.user_id, username: member.username, displayName: member.display_name };
}

class People {
	byId = $state<Record<string, Person>>({});
	#inFlight = new Map<string, Promise<Person | null>>();

	/** A display name for `userId` (the id's start until it is known; asks once). */
	name(userId: string): string {
		const known = this.byId[userId];
		if (known) return known.displayName;
		void this.resolve(userId);
		return 'Someone';
	}

	/** Finds `userId` in one of the user's communities. */
	resolve(userId: string): Promise<Person | null> {
		const known = this.byId[userId];
		if (known) return Promise.resolve(known);
		let pending = this.#inFlight.get(userId);
		if (!pending) {
			pending = this.#lookUp(userId).finally(() => this.#inFlight.delete(userId));
			this.#inFlight.set(userId, pending);
		}
		return pending;
	}

	async #lookUp(userId: string): Promise<Person | null> {
		for (const view of communities.list) {
			try {
				const member = await unwrap(
					api.GET('/api/v1/communities/{community_id}/members/{user_id}', {
						params: { path: { community_id: view.community.community_id, user_id: userId } }
					})
				);
				return this.remember(fromMember(member));
			} catch (err) {
				if (!(err instanceof ApiFailure && err.status === 404)) throw err;
			}
		}
		return null;
	}

	remember(person: Person): Person {
		this.byId[person.userId] = person;
		return person;
	}

	/** The member with exactly this username (any case) in one of the user's communities. */
	async findByUsername(username: string): Promise<Person | null> {
		const wanted = username.trim().replace(/^@/, '').toLowerCase();
		if (!wanted) return null;
		for (const view of communities.list) {
			const page = await unwrap(
				api.GET('/api/v1/communities/{community_id}/members', {
					params: { path: { community_id: view.community.community_id }, query: { query: wanted, limit: 100 } }
				})
			);
			const match = page.members.find((m) => m.username.toLowerCase() === wanted);
			if (match) return this.remember(fromMember(match));
		}
		return null;
	}
}

export const people = new People();

/** What a conversation is called: a group's name, or the other members' names. */
export function conversationTitle(conversation: Schemas['Conversation'], me: string | null): string {
	if (conversation.name) return conversation.name;
	const others = conversation.member_ids.filter((id) => id !== me);
	if (others.length === 0) return 'Just you';
	return others.map((id) => people.name(id)).join(', ');
}
