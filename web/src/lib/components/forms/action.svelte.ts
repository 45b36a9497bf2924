// One user action at a time per form: whether it runs, and the error (or confirmation) to show.
// Every form of the app uses it (login, registration, dialogs, settings).
import { describeError } from '$lib/api/client';

export class Action {
	busy = $state(false);
	error = $state<string | null>(null);
	done = $state<string | null>(null);

	/** Runs `work`; shows its error, or `doneMessage` when it succeeds. True on success. */
	async run(work: () => Promise<unknown>, doneMessage: string | null = null): Promise<boolean> {
		this.busy = true;
		this.error = null;
		this.done = null;
		try {
			await work();
			this.done = doneMessage;
			return true;
		} catch (err) {
			this.error = describeError(err);
			return false;
		} finally {
			this.busy = false;
		}
	}
}
