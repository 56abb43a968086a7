/** `npm run eval -- --questions file.jsonl [--json] [--mode hybrid|dense|bm25] [--k 3]`. */
import { loadCoreConfig, SEARCH_MODES, type SearchMode } from '../config.ts';
import { UserFacingError } from '../errors.ts';
import { evaluate, readQuestions } from '../eval/evaluate.ts';
import { Quarry } from '../quarry.ts';
import { numberOption, parseCommandArgs } from './args.ts';
import { runCli } from './run.ts';

runCli(async () => {
  const { values } = parseCommandArgs(
    'eval',
    'npm run eval -- --questions <file.jsonl> [--json] [--mode hybrid|dense|bm25] [--k 1-10] [--min-relevance 0-1]',
    {
      questions: { type: 'string' },
      json: { type: 'boolean', default: false },
      mode: { type: 'string' },
      k: { type: 'string' },
      'min-relevance': { type: 'string' },
    },
  );
  if (!values.questions) throw new UserFacingError('eval', '--questions <file.jsonl> is required');
  const mode = (values.mode ?? undefined) as SearchMode | undefined;
  if (mode && !SEARCH_MODES.includes(mode))
    throw new UserFacingError('eval', `--mode must be one of ${SEARCH_MODES.join(', ')}`);
  const k = numberOption('eval', 'k', values.k, { min: 1, max: 10, whole: true }) ?? 3;
  const minRelevance = numberOption('eval', 'min-relevance', values['min-relevance'], { min: 0, max: 1 });
  const config = loadCoreConfig();
  const quarry = new Quarry(config);
  await quarry.open();
  const questions = await readQuestions(values.questions);
  const report = await evaluate(quarry, questions, {
    k,
    ...(mode ? { mode } : {}),
    ...(minRelevance !== undefined ? { minRelevance } : {}),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  for (const q of report.questions) {
    const mark = q.hitRank === 1 ? 'hit@1' : q.hitRank ? `hit@${q.hitRank}` : q.answered ? 'MISS ' : 'abst.';
    const kind = q.kind === 'answerable' ? (q.quoteHit ? '' : ' (quote misses)') : ` (${q.kind})`;
    process.stdout.write(
      `${mark}  ${q.question}${kind}  [${q.results.map((r) => r.score.toFixed(2)).join(', ')}]\n`,
    );
  }
  process.stdout.write(
    `\n${config.embeddingModel}, mode ${mode ?? config.searchMode}, k ${k}: hit@1 ${report.hitAt1}, hit@3 ${report.hitAt3}, ` +
      `MRR ${report.mrr}, quote hit@1 ${report.quoteHitAt1}, abstain ${report.abstainRate} (off-topic), ` +
      `${report.nearMissAbstainRate} (near-miss), false abstain ${report.falseAbstainRate}\n`,
  );
  return 0;
});
