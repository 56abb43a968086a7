/**
 * What the tuning scripts (tune-retrieval.ts, rank-lab.ts) open to replay the answer path as
 * Quarry.ask runs it: the configured index and model, the answer check's vocabulary and the
 * lexical expansion, so their figures are the shipped path's.
 */
import { loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { Quarry } from '../src/quarry.ts';
import { RARE_WORD_ID, rareWordTest } from '../src/search/answerability.ts';
import { LexicalExpander, WordVectors } from '../src/search/expansion.ts';

export async function openReplay() {
  loadEnvFile();
  const config = loadCoreConfig();
  const quarry = new Quarry(config);
  const snapshot = await quarry.open();
  const embedder = await quarry.embedder();
  // LEXICAL_EXPANSION as Quarry.ask does it: the expanded query's candidates reorder the plain ones.
  const expander =
    config.lexicalExpansion === null
      ? null
      : new LexicalExpander(
          new WordVectors((words) => embedder.embed(words, 'passage')),
          config.lexicalExpansion,
        );
  /** The answer check's vocabulary; `rareId` is read on every look-up (tune-retrieval varies it). */
  const vocabulary = (rareId: () => number = () => RARE_WORD_ID) => ({
    knows: (term: string, exact?: boolean) => snapshot.lexical.knows(term, exact),
    isRareWord: (word: string) => rareWordTest((w) => embedder.wordPieces(w), rareId())(word),
  });
  return { config, quarry, snapshot, embedder, expander, vocabulary };
}
