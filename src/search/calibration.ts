/**
 * Abstain and support thresholds belong to a model, not to the code: cosines of bge-small sit
 * around 0.5 for unrelated text where all-MiniLM-L6-v2 gives 0.1, so one constant silently
 * stops abstaining when EMBEDDING_MODEL changes. `npm run calibrate` measures them per model on
 * the tuning questions and stores them in calibrations.json, keyed by the catalog's short name and
 * dtype ("bge-small-en-v1.5#fp32"). A model without an entry gets a warning and thresholds derived
 * from how it scores questions that cannot be about any article (see fallbackCalibration).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../index/atomic-file.ts';
// Imported rather than read from beside this file: tsc copies an imported JSON file into dist/, so
// the compiled bot (`npm start`) has the same calibrations as tsx. Read with readFileSync, the
// compiled bot found no file, warned, and answered with FALLBACK_CALIBRATION's weight and
// threshold (0.7 / 0.3 / 0.9 instead of MiniLM's calibrated 0.8 / 0.23 / 0.8).
import stored from './calibrations.json' with { type: 'json' };

export interface Calibration {
  /** Fusion weight of the dense score: a sharper model earns more (bge-small 0.9, MiniLM 0.7). */
  denseWeight: number;
  minRelevance: number;
  supportShare: number;
  /** How many tuning questions it was measured on (0 for a derived fallback). */
  questions: number;
}

/**
 * For a model nobody calibrated: all-MiniLM-L6-v2's weight and threshold of old, and support
 * passages only when nearly as relevant as the best. It is only right for models that score like MiniLM, hence the warning.
 */
export const FALLBACK_CALIBRATION: Calibration = {
  denseWeight: 0.7,
  minRelevance: 0.3,
  supportShare: 0.9,
  questions: 0,
};

/** The source file `npm run calibrate` writes (scripts/tune-retrieval.ts, run through tsx). */
const FILE = new URL('./calibrations.json', import.meta.url);
const CALIBRATIONS: Readonly<Record<string, Calibration>> = stored;

/**
 * The key of a model's calibration: the catalog short name when the embedder knows it (whatever
 * spelling of EMBEDDING_MODEL reached the model), else the last part of EMBEDDING_MODEL.
 */
export function calibrationKey(modelName: string | null, embeddingModel: string, dtype: string): string {
  const name =
    modelName ??
    embeddingModel
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .pop() ??
    embeddingModel;
  return `${name}#${dtype}`;
}

export function findCalibration(key: string): Calibration | null {
  return CALIBRATIONS[key] ?? null;
}

/** Stores a model's calibration in the source file; processes started afterwards use it. */
export async function writeCalibration(key: string, calibration: Calibration): Promise<void> {
  const onDisk = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, Calibration>;
  const all = { ...onDisk, [key]: calibration };
  const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
  // Atomic: the bot imports this file at start, so a calibration cut off mid-write would stop it.
  await writeFileAtomic(fileURLToPath(FILE), `${JSON.stringify(sorted, null, 2)}\n`);
}
