import { env, pipeline } from '@huggingface/transformers';

env.allowRemoteModels = false;
const opts: Record<string, unknown> = { dtype: process.env.D ?? 'fp32' };
if (process.env.ARENA === 'off') opts.session_options = { enableCpuMemArena: false, enableMemPattern: false };
const rss0 = process.memoryUsage().rss;
const p = await pipeline(
  'feature-extraction',
  process.cwd() + '/data/models/all-MiniLM-L6-v2',
  opts as never,
);
for (let i = 0; i < 50; i++)
  await p(
    [
      'How many time zones does Russia have? ' + i,
      'A much longer passage about rare earth elements and the economy of Russia and China and the United States of America. '.repeat(
        3,
      ),
    ],
    { pooling: 'mean', normalize: true },
  );
const t = performance.now();
for (let i = 0; i < 50; i++)
  await p(['How many time zones does Russia have? ' + i], { pooling: 'mean', normalize: true });
console.log(
  process.env.D ?? 'fp32',
  process.env.ARENA ?? 'on',
  'rss MB',
  Math.round(rss0 / 1048576),
  '→',
  Math.round(process.memoryUsage().rss / 1048576),
  'query ms',
  ((performance.now() - t) / 50).toFixed(1),
);
