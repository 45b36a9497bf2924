// The communities the user belongs to, with the groups and channels they can see: rebuilt from
// each `ready` snapshot and kept current by community events.
import { api, unwrap, type Schemas } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';

export type CommunityView = Schemas['CommunityView'];
export type ChannelView = Schemas['ChannelView'];
export type Permission = Schemas['Permission'];

class Communities {
	byId = $state<Record<string, CommunityView>>({});

	/** Sorted by name, as the sidebar shows them. */
	get list(): CommunityView[] {
		return Object.values(this.byId).sort((a, b) =>
			a.community.name.localeCompare(b.community.name)
		);
	}

	get(communityId: string): CommunityView | undefined {
		return this.byId[communityId];
	}

	/** The channel and its community, wherever it is. */
	findChannel(channelId: string): { view: CommunityView; channel: ChannelView } | undefined {
		for (const view of Object.values(this.byId)) {
			const channel = view.channels.find((c) => c.channel.channel_id === channelId);
			if (channel) return { view, channel };
		}
		return undefined;
	}

	/** Whether the user holds `permission` in the community (administrators hold every one). */
	can(communityId: string, permission: Permission): boolean {
		const view = this.byId[communityId];
		if (!view) return false;
		return (
			view.community.owner_id === view.me.user_id ||
			view.permissions.includes('administrator') ||
			view.permissions.includes(permission)
		);
	}

	/** Whether the user holds `permission` in one channel (after overwrites). */
	canInChannel(channelId: string, permission: Permission): boolean {
		const found = this.findChannel(channelId);
		if (!found) return false;
		const { view, channel } = found;
		return (
			view.community.owner_id === view.me.user_id ||
			channel.permissions.includes('administrator') ||
			channel.permissions.includes(permission)
		);
	}

	replace(views: CommunityView[]): void {
		this.byId = Object.fromEntries(views.map((v) => [v.community.community_id, v]));
	}

	put(view: CommunityView): void {
		this.byId[view.community.community_id] = view;
	}

	remove(communityId: string): void {
		delete this.byId[communityId];
	}

	/** Fetches one community's view again (after joining it). */
	async refresh(communityId: string): Promise<void> {
		const view = await unwrap(
			api.GET('/api/v1/communities/{community_id}/view', {
				params: { path: { community_id: communityId } }
			})
		);
		this.put(view);
	}

	/** Subscribes to the live feed; call once when the app starts. */
	listen(): void {
		realtime.onReady((ready) => this.replace(ready.communities));
		realtime.on('community_view_changed', ({ view }) => this.put(view));
		realtime.on('community_joined', ({ community_id }) => void this.refresh(community_id));
		realtime.on('community_removed', ({ community_id }) => this.remove(community_id));
		realtime.on('community_deleted', ({ community_id }) => this.remove(community_id));
		realtime.on('community_updated', ({ community }) => {
			const view = this.byId[community.community_id];
			if (view) view.community = community;
		});
		realtime.on('group_changed', ({ group }) => {
			const view = this.byId[group.community_id];
			if (!view) return;
			const at = view.groups.findIndex((g) => g.group_id === group.group_id);
			if (at >= 0) view.groups[at] = group;
			else view.groups.push(group);
			view.groups.sort((a, b) => a.position - b.position);
		});
		realtime.on('group_deleted', ({ community_id, group_id }) => {
			const view = this.byId[community_id];
			if (!view) return;
			view.groups = view.groups.filter((g) => g.group_id !== group_id);
			view.channels = view.channels.filter((c) => c.channel.group_id !== group_id);
		});
		realtime.on('groups_reordered', ({ community_id, group_ids }) => {
			const view = this.byId[community_id];
			if (!view) return;
			const order = new Map(group_ids.map((id, i) => [id, i]));
			view.groups.sort((a, b) => (order.get(a.group_id) ?? 0) - (order.get(b.group_id) ?? 0));
		});
		realtime.on('channel_changed', ({ channel }) => {
			const view = this.byId[channel.community_id];
			const existing = view?.channels.find((c) => c.channel.channel_id === channel.channel_id);
			if (existing) existing.channel = channel;
			// A channel the user could not see before arrives with community_view_changed.
		});
		realtime.on('channel_deleted', ({ community_id, channel_id }) => {
			const view = this.byId[community_id];
			if (view) view.channels = view.channels.filter((c) => c.channel.channel_id !== channel_id);
		});
		realtime.on('role_changed', ({ role }) => {
			const view = this.byId[role.community_id];
			if (!view) return;
			const at = view.roles.findIndex((r) => r.role_id === role.role_id);
			if (at >= 0) view.roles[at] = role;
			else view.roles.push(role);
		});
		realtime.on('role_deleted', ({ community_id, role_id }) => {
			const view = this.byId[community_id];
			if (view) view.roles = view.roles.filter((r) => r.role_id !== role_id);
		});
		realtime.on('member_changed', ({ member }) => {
			const view = this.byId[member.community_id];
			if (view && view.me.user_id === member.user_id) view.me = member;
		});
	}
}

export const communities = new Communities();
