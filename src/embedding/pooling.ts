/**
 * The pooling a sentence-transformers model was trained with, from its 1_Pooling/config.json.
 * Two spellings exist: the classic flags (`pooling_mode_cls_token: true`, …) and, since
 * sentence-transformers 5/6, one string (`"pooling_mode": "cls"`). Only mean and CLS pooling are
 * supported (transformers.js pools); anything else is null.
 */
export type Pooling = 'mean' | 'cls';

export function poolingMode(config: Record<string, unknown>): Pooling | null {
  const mode = config.pooling_mode;
  if (typeof mode === 'string') return mode === 'mean' || mode === 'cls' ? mode : null;
  if (config.pooling_mode_cls_token) return 'cls';
  if (config.pooling_mode_mean_tokens) return 'mean';
  return null;
}
