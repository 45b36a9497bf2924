// Calls of the permission-overwrite editor, the same for groups and channels.
import { api, unwrap, type Schemas } from '$lib/api/client';

export type Overwrite = Schemas['Overwrite'];
export type OverwriteTarget = Schemas['OverwriteTarget'];
export type OverwriteSubject = Schemas['OverwriteSubject'];

export function sameSubject(a: OverwriteSubject, b: OverwriteSubject): boolean {
	return a.kind === b.kind && a.id === b.id;
}

export function sameTarget(a: OverwriteTarget, b: OverwriteTarget): boolean {
	return a.kind === b.kind && a.id === b.id;
}

export async function listOverwrites(communityId: string, target: OverwriteTarget): Promise<Overwrite[]> {
	const list =
		target.kind === 'group'
			? await unwrap(
					api.GET('/api/v1/communities/{community_id}/groups/{group_id}/overwrites', {
						params: { path: { community_id: communityId, group_id: target.id } }
					})
				)
			: await unwrap(
					api.GET('/api/v1/communities/{community_id}/channels/{channel_id}/overwrites', {
						params: { path: { community_id: communityId, channel_id: target.id } }
					})
				);
	return list.overwrites;
}

export async function setOverwrite(
	communityId: string,
	target: OverwriteTarget,
	subject: OverwriteSubject,
	body: Schemas['OverwriteBody']
): Promise<Overwrite> {
	const path = { community_id: communityId, subject_kind: subject.kind, subject_id: subject.id };
	return target.kind === 'group'
		? unwrap(
				api.PUT('/api/v1/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}', {
					params: { path: { ...path, group_id: target.id } },
					body
				})
			)
		: unwrap(
				api.PUT('/api/v1/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}', {
					params: { path: { ...path, channel_id: target.id } },
					body
				})
			);
}

export async function deleteOverwrite(
	communityId: string,
	target: OverwriteTarget,
	subject: OverwriteSubject
): Promise<void> {
	const path = { community_id: communityId, subject_kind: subject.kind, subject_id: subject.id };
	if (target.kind === 'group')
		await unwrap(
			api.DELETE('/api/v1/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}', {
				params: { path: { ...path, group_id: target.id } }
			})
		);
	else
		await unwrap(
			api.DELETE('/api/v1/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}', {
				params: { path: { ...path, channel_id: target.id } }
			})
		);
}
