/**
 * Control characters (except tab and newline), zero-width characters and bidirectional controls
 * are never meant to be read; they hide text from people, split words for the search, and the
 * bidirectional ones (U+202E RIGHT-TO-LEFT OVERRIDE and friends) make a quote display as
 * something other than what it says. Both questions and sources pass through here.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

export function stripInvisible(text: string, replacement = ''): string {
  return text.replace(INVISIBLE, replacement);
}
