/**
 * The answer check's first-use work done before a question needs it: compromise tags each
 * sentence of the served index (~1–2 ms a sentence, cached by text afterwards) and WordNet's noun
 * index is read (4.8 MB). Without this, the first question to meet a sentence pays for its
 * tagging — the tail of a fresh index's /ask latency (README "Performance").
 *
 * One sentence per turn of the event loop (setImmediate), so a question arriving meanwhile waits
 * for at most one sentence; paused while a reload runs; dropped once the index is replaced.
 */
import { nextTurn } from '../event-loop.ts';
import { sentenceTexts } from '../index/search-index.ts';
import type { StoredPassage } from '../index/store.ts';
import { openWordNet } from './answerability.ts';
import { tagCacheRoom, tagTokens } from './expected-answer.ts';

export interface WarmUpControl {
  /** True once the index being warmed is no longer served: the rest is dropped. */
  stale(): boolean;
  /** A reload in progress (null when none): the warm-up waits for it before the next sentence. */
  busy(): Promise<unknown> | null;
}

// Tagged texts the warm-up leaves room for in the tag cache (questions, scopes of several
// sentences): past this the cache would be emptied and the warm-up's work lost with it.
const CACHE_RESERVE = 2500;

/** Tags the passages' sentences as the answer check will; resolves when done or dropped. */
export async function warmAnswerCheck(
  passages: readonly StoredPassage[],
  control: WarmUpControl,
): Promise<void> {
  await nextTurn();
  if (control.stale()) return;
  openWordNet();
  for (const passage of passages) {
    for (const sentence of sentenceTexts(passage)) {
      await nextTurn();
      for (let reload = control.busy(); reload; reload = control.busy()) await reload.catch(() => undefined);
      if (control.stale() || tagCacheRoom() <= CACHE_RESERVE) return;
      tagTokens(sentence);
    }
  }
}
