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

export function renderMarkdown(text: string): string {
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
	const html = marked.parse(text) as string;
	return DOMPurify.sanitize(html, {
		ALLOWED_TAGS,
		ALLOWED_ATTR: ['href', 'title', 'class', 'target', 'rel'],
		ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/|#)/i
	});
}
