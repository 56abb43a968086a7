/**
 * `npm run ask -- "question"` prints a readable quoted answer;
 * `npm run --silent ask -- --json "question"` prints only JSON on stdout (logs go to stderr).
 */
import { loadCoreConfig, SEARCH_MODES, type SearchMode } from '../config.ts';
import { UserFacingError } from '../errors.ts';
import { terminalProgress } from '../progress.ts';
import { type Answer, Quarry } from '../quarry.ts';
import { numberOption, parseCommandArgs } from './args.ts';
import { runCli } from './run.ts';

export function answerToJson(answer: Answer): object {
  return {
    question: answer.question,
    answered: answer.answered,
    results: answer.results.map((r) => ({
      text: r.text,
      quote: r.quote,
      score: r.score,
      source: r.source,
      title: r.title,
      ...(r.url ? { url: r.url } : {}),
      paragraph: r.paragraph,
      passageId: r.passageId,
    })),
  };
}

function answerToText(answer: Answer): string {
  if (!answer.answered) {
    const nearest = answer.nearest
      ? `\n(closest passage, low confidence ${answer.nearest.score.toFixed(2)}: "${answer.nearest.quote}")`
      : '';
    return `Not in the sources: nothing relevant enough to quote for "${answer.question}".${nearest}\n`;
  }
  return answer.results
    .map((r, i) => {
      const quoted = r.text
        .split('\n')
        .map((line) => `  > ${line}`)
        .join('\n');
      return `${i + 1}. ${r.title}, paragraph ${r.paragraph} (relevance ${r.score.toFixed(2)})\n${quoted}\n  Key: "${r.quote}"\n`;
    })
    .join('\n');
}

runCli(async () => {
  const { values, positionals } = parseCommandArgs(
    'ask',
    'npm run ask -- [--json] [--k 1-10] [--mode hybrid|dense|bm25] "your question"',
    { json: { type: 'boolean', default: false }, k: { type: 'string' }, mode: { type: 'string' } },
    { allowPositionals: true },
  );
  const question = positionals.join(' ');
  if (!question.trim())
    throw new UserFacingError('ask', 'no question given', 'usage: npm run ask -- "your question"');
  const mode = values.mode as SearchMode | undefined;
  if (mode !== undefined && !SEARCH_MODES.includes(mode))
    throw new UserFacingError('ask', `--mode must be one of ${SEARCH_MODES.join(', ')}`);
  const k = numberOption('ask', 'k', values.k, { min: 1, max: 10, whole: true });
  const quarry = new Quarry(loadCoreConfig());
  const progress = terminalProgress();
  await quarry.open(progress);
  progress.end();
  const answer = await quarry.ask(question, { ...(k ? { k } : {}), ...(mode ? { mode } : {}) });
  process.stdout.write(values.json ? `${JSON.stringify(answerToJson(answer))}\n` : answerToText(answer));
  return 0;
});
