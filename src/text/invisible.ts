/**
 * Control characters (except tab and newline) and zero-width characters are never meant to be
 * read; they hide text from people and split words for the search. Both questions and sources
 * pass through here.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\u2060\ufeff]/g;

export function stripInvisible(text: string, replacement = ''): string {
  return text.replace(INVISIBLE, replacement);
}
