/**
 * HTML → plain text with paragraph breaks. htmlparser2 does the parsing (attributes that contain
 * ">", unterminated scripts and comments, the full entity table — a hand-written regex parser
 * leaked markup and script text into passages); this module decides what is article text: it
 * drops what never is (scripts, styles, navigation, headers, footers, forms), turns block
 * elements into blank-line separated paragraphs and marks headings with "#" so the cleaner
 * treats them as headings.
 */
import { Parser } from 'htmlparser2';

const DROPPED_ELEMENTS = new Set([
  'head',
  'title',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'nav',
  'header',
  'footer',
  'aside',
  'form',
  'iframe',
  'object',
  'button',
  'select',
  'textarea',
]);
const BLOCK_ELEMENTS = new Set(
  'p div section article main blockquote pre ul ol li dl dt dd table tr figure figcaption hr br address details summary'.split(
    ' ',
  ),
);
const HEADING = /^h([1-6])$/;

export interface HtmlText {
  title: string | null;
  text: string;
}

const collapse = (text: string) => text.replace(/[ \t\r\n\f\v\u00a0]+/g, ' ').trim();

export function htmlToText(html: string): HtmlText {
  let out = '';
  let dropped = 0;
  let title: string | null = null;
  let titleText: string | null = null;
  let heading: { level: number; text: string } | null = null;

  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title' && title === null) titleText = '';
        if (DROPPED_ELEMENTS.has(name)) dropped++;
        if (dropped > 0) return;
        const level = HEADING.exec(name)?.[1];
        if (level) heading = { level: Number(level), text: '' };
        else if (BLOCK_ELEMENTS.has(name)) out += '\n\n';
      },
      ontext(text) {
        if (titleText !== null) titleText += text;
        if (dropped > 0) return;
        if (heading) heading.text += text;
        else out += text;
      },
      onclosetag(name) {
        if (name === 'title' && titleText !== null) {
          title = collapse(titleText) || null;
          titleText = null;
        }
        if (DROPPED_ELEMENTS.has(name)) {
          dropped = Math.max(0, dropped - 1);
          out += '\n\n';
          return;
        }
        if (dropped > 0) return;
        if (heading && HEADING.test(name)) {
          const text = collapse(heading.text);
          out += text ? `\n\n${'#'.repeat(heading.level)} ${text}\n\n` : '\n\n';
          heading = null;
        } else if (BLOCK_ELEMENTS.has(name)) out += '\n\n';
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  const paragraphs = out
    .split(/\n\s*\n/)
    .map(collapse)
    .filter(Boolean);
  return { title, text: paragraphs.join('\n\n') };
}
