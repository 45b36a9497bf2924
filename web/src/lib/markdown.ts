// Message text as HTML: Markdown (marked, GitHub flavour with line breaks) sanitised by
// DOMPurify, so nothing a message contains can run script or load active content.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: true, async: false });

const ALLOWED_TAGS = [
	'p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2',
	'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span'
];

let hooked = false;

/** How mentions (`<@user_id>`, `<@&role_id>`, `@everyone`, `@here`) are shown. */
export interface MentionNames {
	user(userId: string): string;
	role?(roleId: string): string;
	/** The reader's own user id: mentions of them are highlighted more strongly. */
	me?: string | null;
}

const escapeHtml = (s: string) =>
	s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const MENTION = /&lt;@(&amp;)?([0-9a-fA-F-]{36})&gt;|(^|[^\w@])@(everyone|here)\b/g;

/** Replaces mentions in rendered HTML with highlighted names, leaving code untouched. */
function highlightMentions(html: string, names: MentionNames): string {
	return html
		.split(/(<code[\s\S]*?<\/code>)/)
		.map((part, i) => {
			if (i % 2 === 1) return part;
			return part.replace(MENTION, (_all, role: string | undefined, id: string | undefined, lead: string, word: string) => {
				if (id) {
					const name = role ? (names.role?.(id) ?? 'role') : names.user(id);
					const self = !role && names.me === id.toLowerCase();
					return `<span class="mention${self ? ' mention-me' : ''}">@${escapeHtml(name)}</span>`;
				}
				return `${lead}<span class="mention">@${word}</span>`;
			});
		})
		.join('');
}

export function renderMarkdown(text: string, mentions?: MentionNames): string {
	if (!hooked) {
		// Links open in a new tab without giving it access to this one.
		DOMPurify.addHook('afterSanitizeAttributes', (node) => {
			if (node.tagName === 'A') {
				node.setAttribute('target', '_blank');
				node.setAttribute('rel', 'noopener noreferrer nofollow');
			}
		});
		hooked = true;
	}
	let html = marked.parse(text) as string;
	if (mentions) html = highlightMentions(html, mentions);
	return DOMPurify.sanitize(html, {
		ALLOWED_TAGS,
		ALLOWED_ATTR: ['href', 'title', 'class', 'target', 'rel'],
		ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/|#)/i
	});
}
