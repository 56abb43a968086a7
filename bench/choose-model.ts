import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DEFAULT_MODEL } from '../src/model/catalog.ts';

/**
 * The real model when EMBEDDING_MODEL names one, else the default model when it was fetched
 * (npm run model:fetch), else the fixture. `name` keys the real-text vector cache.
 */
export function chooseModel(): { model: string; name: string; label: string } {
  const chosen = process.env.EMBEDDING_MODEL;
  if (chosen) return { model: chosen, name: basename(chosen), label: chosen };
  const fetched = resolve('data/models', DEFAULT_MODEL);
  if (existsSync(join(fetched, 'onnx', 'model.onnx')))
    return { model: fetched, name: DEFAULT_MODEL, label: `${DEFAULT_MODEL} (fetched into data/models)` };
  return {
    model: resolve('test/fixtures/tiny-embedder'),
    name: 'tiny-embedder',
    label: 'fixture tiny-embedder (NOT a real model)',
  };
}
