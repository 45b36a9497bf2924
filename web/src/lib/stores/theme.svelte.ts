// The colour theme: light, dark or the system's, remembered per browser.
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'chatalot.theme';

class ThemeChoice {
	current = $state<Theme>('system');

	load(): void {
		const stored = localStorage.getItem(KEY);
		this.set(stored === 'light' || stored === 'dark' ? stored : 'system');
	}

	set(theme: Theme): void {
		this.current = theme;
		localStorage.setItem(KEY, theme);
		document.documentElement.dataset.theme = theme;
	}
}

export const theme = new ThemeChoice();
