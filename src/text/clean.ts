/**
 * Turns a source's raw text into clean paragraphs: boilerplate lines removed by general rules
 * (feed trailers, link labels, credit lines, follow/subscribe prompts, comment notices, lines
 * with no words), headings recognised, a title chosen. The cleaned text is what passages and
 * quotes are cut from, so offsets into it are the ground truth for "verbatim".
 */
import { stripInvisible } from './invisible.ts';

export interface Paragraph {
  start: number;
  end: number;
  heading: boolean;
}

export interface CleanedText {
  title: string | null;
  text: string;
  paragraphs: Paragraph[];
  removedLines: string[];
}

const CODE_FENCE = /^\s*(```|~~~)/;

// Short lines only: a rule that matched a long line would risk dropping real content.
const MAX_BOILERPLATE_LENGTH = 200;

const BOILERPLATE_RULES: { name: string; test: (line: string) => boolean }[] = [
  // Lone numbers, dashes, bullets, non-breaking spaces: nothing a reader would quote. A code
  // fence ("```") has no words either, but dropping it unbalances the block it opens or closes.
  { name: 'no words', test: (line) => !/\p{L}/u.test(line) && !CODE_FENCE.test(line) },
  // "[Read More]", "[…]", "Continue reading →": link labels left behind by feeds.
  { name: 'link label', test: (line) => /^\[[^\]]{0,60}\]$/.test(line) },
  {
    name: 'link label',
    test: (line) =>
      /^(read more|continue reading|click here|view (all )?comments|share this( article| post)?|related (posts|articles)|advertisement|back to top)\b[\s\p{P}\p{S}]*$/iu.test(
        line,
      ),
  },
  // WordPress feeds: "The post <title> appeared first on <site>."
  { name: 'feed trailer', test: (line) => /\bappeared first on\b/i.test(line) },
  {
    name: 'comments notice',
    test: (line) => /^comments? (are|is) (now )?(closed|disabled|off)\b/i.test(line),
  },
  {
    name: 'credit line',
    test: (line) =>
      /^(source|sources|via|credit|credits|photo|photo credit|image|image credit|featured image)\s*[:：]/i.test(
        line,
      ),
  },
  {
    name: 'follow prompt',
    test: (line) =>
      /^(please\s+)?(follow|subscribe to|like|join)\s+(us|\S+)(\s+\S+)?\s+(on|at|via)\s+\S+/i.test(line) &&
      !/[.!?]\s+\S/.test(line),
  },
  {
    name: 'follow prompt',
    test: (line) => /^(sign up for|subscribe to) (our|the) (newsletter|mailing list)\b/i.test(line),
  },
];

export function boilerplateRule(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed.length > MAX_BOILERPLATE_LENGTH) return null;
  for (const rule of BOILERPLATE_RULES) if (rule.test(trimmed)) return rule.name;
  return null;
}

const MARKDOWN_HEADING = /^#{1,6}\s+\S/;

function looksLikeTitleLine(block: string): boolean {
  return !block.includes('\n') && block.length <= 150 && !/[.!?:;,]$/.test(block) && /\p{L}/u.test(block);
}

export function cleanText(raw: string, options: { titleFromFirstLine?: boolean } = {}): CleanedText {
  const normalised = stripInvisible(raw.replace(/\r\n?/g, '\n')).replace(/\u00a0/g, ' ');
  const removedLines: string[] = [];
  const blocks: { text: string; heading: boolean }[] = [];
  for (const rawBlock of normalised.split(/\n[ \t]*\n/)) {
    const lines = rawBlock
      .split('\n')
      .map((l) => l.replace(/[ \t]+$/u, ''))
      .filter((line) => {
        if (!line.trim()) return false;
        if (boilerplateRule(line) === null) return true;
        removedLines.push(line.trim());
        return false;
      });
    if (lines.length === 0) continue;
    const text = lines.join('\n').trim();
    blocks.push({ text, heading: MARKDOWN_HEADING.test(text) && !text.includes('\n') });
  }

  let title: string | null = null;
  const first = blocks[0];
  if (first?.heading) {
    title = first.text.replace(/^#+\s*/, '');
  } else if (first && options.titleFromFirstLine && blocks.length > 1 && looksLikeTitleLine(first.text)) {
    first.heading = true;
    title = first.text;
  }

  const paragraphs: Paragraph[] = [];
  let text = '';
  for (const block of blocks) {
    if (text) text += '\n\n';
    paragraphs.push({ start: text.length, end: text.length + block.text.length, heading: block.heading });
    text += block.text;
  }
  return { title, text, paragraphs, removedLines };
}
