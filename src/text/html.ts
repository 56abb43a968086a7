/**
 * HTML → plain text with paragraph breaks. Not a browser: it drops what is never article text
 * (scripts, styles, navigation, headers, footers, forms), turns block elements into blank-line
 * separated paragraphs, marks headings with "#" so the cleaner treats them as headings, and
 * decodes entities. Good enough for articles and documentation pages; no dependency needed.
 */
const DROPPED_ELEMENTS = [
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'nav',
  'header',
  'footer',
  'aside',
  'form',
  'iframe',
  'button',
  'select',
];
const BLOCK_ELEMENTS =
  'p|div|section|article|main|blockquote|pre|ul|ol|li|dl|dt|dd|table|tr|figure|figcaption|hr|br|address|details|summary';

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  shy: '',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

export interface HtmlText {
  title: string | null;
  text: string;
}

export function htmlToText(html: string): HtmlText {
  const titleMatch = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  let body = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<head[\s\S]*?<\/head>/i, '');
  for (const tag of DROPPED_ELEMENTS) {
    body = body.replace(new RegExp(`<${tag}\\b[\\s\\S]*?<\\/${tag}\\s*>`, 'gi'), '\n');
  }
  body = body
    .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (_m, level: string, inner: string) => {
      const heading = inner
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      return heading ? `\n\n${'#'.repeat(Number(level))} ${heading}\n\n` : '\n\n';
    })
    .replace(new RegExp(`<\\/?(?:${BLOCK_ELEMENTS})\\b[^>]*>`, 'gi'), '\n\n')
    .replace(/<[^>]+>/g, '');
  const paragraphs = decodeEntities(body)
    .split(/\n\s*\n/)
    .map((p) => p.replace(/[ \t\r\n\f\v\u00a0]+/g, ' ').trim())
    .filter(Boolean);
  const title = titleMatch?.[1] ? decodeEntities(titleMatch[1]).replace(/\s+/g, ' ').trim() || null : null;
  return { title, text: paragraphs.join('\n\n') };
}
