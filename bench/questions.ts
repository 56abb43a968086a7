/**
 * Questions for the latency benchmark: the dev set and our own set, each also asked in three
 * rewordings (lower case, with a polite prefix, shouted), so there are ≥ 200 varied questions.
 */
import { readQuestions } from '../src/eval/evaluate.ts';

export async function benchmarkQuestions(): Promise<string[]> {
  const base = [
    ...(await readQuestions('test/eval/questions.dev.jsonl').catch(() => [])),
    ...(await readQuestions('test/eval/questions.own.jsonl')),
  ].map((q) => q.question);
  return base.flatMap((q) => [q, q.toLowerCase(), `Could you tell me: ${q}`, q.toUpperCase()]);
}
