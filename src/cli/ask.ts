/**
 * `npm run ask -- "question"` prints a readable quoted answer;
 * `npm run --silent ask -- --json "question"` prints only JSON on stdout (logs go to stderr).
 * `--server <guild id>` answers as /ask does in that server (its sources and the shared ones).
 */
import { percent } from '../bot/format.ts';
import { loadCoreConfig, SEARCH_MODES, type SearchMode } from '../config.ts';
import { UserFacingError } from '../errors.ts';
import { terminalProgress } from '../progress.ts';
import { type Answer, type AnswerResult, Quarry } from '../quarry.ts';
import { KnowledgeBases } from '../servers/knowledge-bases.ts';
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
      ...(r.page ? { page: r.page } : {}),
      passageId: r.passageId,
    })),
  };
}

/**
 * The readable answer, laid out like the bot's reply in Discord (heading, numbered title, the
 * passage as a block quote with its key sentence emphasised, "Paragraph · relevance · source"),
 * so what a moderator tries on the command line is what members will see.
 */
export function answerToText(
  answer: Answer,
  bold: (text: string) => string = (t) => `**${t}**`,
  underline: (text: string) => string = (t) => `__${t}__`,
): string {
  // The answer span, when found, is underlined inside the bold key sentence, as in Discord.
  const keyOf = (r: AnswerResult) => {
    const { answerStart: a, answerEnd: b } = r;
    if (a === undefined || b === undefined || a < r.quoteStart || b > r.quoteEnd || a >= b)
      return r.text.slice(r.quoteStart, r.quoteEnd);
    return `${r.text.slice(r.quoteStart, a)}${underline(r.text.slice(a, b))}${r.text.slice(b, r.quoteEnd)}`;
  };
  const block = (r: AnswerResult, label: string) => {
    const quoted = `${r.text.slice(0, r.quoteStart)}${bold(keyOf(r))}${r.text.slice(r.quoteEnd)}`
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n');
    return `${label} ${r.title}\n${quoted}\n${r.page ? `Page ${r.page} · ` : ''}Paragraph ${r.paragraph} · relevance ${percent(r.score)} · ${r.source}\n`;
  };
  if (!answer.answered) {
    const nearest = answer.nearest ? `\n${block(answer.nearest, 'Closest passage (low confidence):')}` : '';
    return `${bold('Not in the sources.')} Nothing I can quote answers “${answer.question}”.\n${nearest}`;
  }
  const blocks = answer.results.map((r, i) => block(r, `${i + 1}.`));
  return `Quoted from the sources for “${answer.question}”:\n\n${blocks.join('\n')}`;
}

runCli(async () => {
  const { values, positionals } = parseCommandArgs(
    'ask',
    'npm run ask -- [--json] [--k 1-10] [--mode hybrid|dense|bm25] [--server <id>] "your question"',
    {
      json: { type: 'boolean', default: false },
      k: { type: 'string' },
      mode: { type: 'string' },
      server: { type: 'string' },
    },
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
  const options = { ...(k ? { k } : {}), ...(mode ? { mode } : {}) };
  // --server <guild id>: that server's sources and the shared ones, as /ask in that server.
  const answer = values.server
    ? await new KnowledgeBases(quarry.config, quarry).ask(values.server, question, options)
    : await quarry.ask(question, options);
  // On a terminal the key sentence is bold; piped, it keeps Discord's **markdown**.
  const bold = process.stdout.isTTY ? (t: string) => `\x1b[1m${t}\x1b[22m` : undefined;
  const underline = process.stdout.isTTY ? (t: string) => `\x1b[4m${t}\x1b[24m` : undefined;
  process.stdout.write(
    values.json ? `${JSON.stringify(answerToJson(answer))}\n` : answerToText(answer, bold, underline),
  );
  return 0;
});
