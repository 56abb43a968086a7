/**
 * Builds the ONNX graph of a BERT-style encoder (embeddings + N transformer layers →
 * last_hidden_state) from its weights, in the input/output layout transformers.js expects of a
 * feature-extraction model. Pooling and normalisation stay in transformers.js, as for hub models.
 *
 * Two families share the layer structure and differ where noted: BERT (BertModel: absolute
 * positions from 0, token-type embeddings) and MPNet (MPNetModel, e.g. all-mpnet-base-v2:
 * positions counted from the padding index past the padding, no token types, and a learned
 * relative-position bias added to every layer's attention scores).
 *
 * Linear layers use MatMul with the weight transposed once here ([in, out]). With `int8`, their
 * weights are quantised per output column (symmetric, zero point 0) and run through onnxruntime's
 * DynamicQuantizeMatMul, which quantises activations on the fly — the layout onnxruntime's own
 * dynamic quantisation produces.
 */
import {
  floatTensor,
  type Initializer,
  int64Tensor,
  type OnnxGraph,
  type OnnxNode,
  TensorType,
} from './onnx.ts';
import type { Tensor } from './safetensors.ts';

export type EncoderFamily = 'bert' | 'mpnet';

export interface EncoderConfig {
  family: EncoderFamily;
  hiddenSize: number;
  layers: number;
  heads: number;
  layerNormEps: number;
  maxPositions: number;
  /** MPNet: the pad token id, which is also where its position ids start. */
  padTokenId: number;
  /** MPNet: buckets of the relative-position bias. */
  relativeBuckets: number;
}

/** Where each weight lives in the checkpoint, per family. */
function weightNames(family: EncoderFamily) {
  if (family === 'mpnet') {
    return {
      attention: (l: number, part: 'query' | 'key' | 'value' | 'output') =>
        `encoder.layer.${l}.attention.attn.${{ query: 'q', key: 'k', value: 'v', output: 'o' }[part]}`,
      attentionNorm: (l: number) => `encoder.layer.${l}.attention.LayerNorm`,
    };
  }
  return {
    attention: (l: number, part: 'query' | 'key' | 'value' | 'output') =>
      part === 'output'
        ? `encoder.layer.${l}.attention.output.dense`
        : `encoder.layer.${l}.attention.self.${part}`,
    attentionNorm: (l: number) => `encoder.layer.${l}.attention.output.LayerNorm`,
  };
}

/**
 * MPNet's relative_position_bucket (from Hugging Face's MPNetEncoder, bidirectional, max distance
 * 128) for one distance `key − query`, in float32 as PyTorch computes it, so the boundaries
 * (distances 16, 32, 64, 128) fall in the same bucket.
 */
export function relativePositionBucket(distance: number, buckets: number, maxDistance = 128): number {
  const half = Math.floor(buckets / 2);
  const n = -distance;
  let bucket = n < 0 ? half : 0;
  const magnitude = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (magnitude < maxExact) return bucket + magnitude;
  const f = Math.fround;
  const scaled = f(
    f(f(Math.log(f(magnitude / maxExact))) / Math.log(maxDistance / maxExact)) * (half - maxExact),
  );
  bucket += Math.min(maxExact + Math.trunc(scaled), half - 1);
  return bucket;
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: Initializer[] = [];
  private counter = 0;

  name(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  constant(name: string, dims: number[], values: number[] | Float32Array): string {
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  int64(name: string, values: number[]): string {
    this.initializers.push(int64Tensor(name, [values.length], values));
    return name;
  }

  int64Scalar(name: string, value: number): string {
    this.initializers.push(int64Tensor(name, [], [value]));
    return name;
  }

  op(op: string, inputs: string[], attributes?: OnnxNode['attributes'], domain?: string): string {
    const output = this.name(op.toLowerCase());
    this.nodes.push({
      op,
      inputs,
      outputs: [output],
      ...(attributes ? { attributes } : {}),
      ...(domain ? { domain } : {}),
    });
    return output;
  }
}

/** [out, in] (PyTorch Linear) → [in, out] (MatMul). */
function transpose(weight: Tensor): Float32Array {
  const [rows, cols] = weight.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = weight.data[r * cols + c] ?? 0;
  return out;
}

function quantisePerColumn(
  matrix: Float32Array,
  rows: number,
  cols: number,
): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(matrix[r * cols + c] ?? 0));
    scales[c] = max > 0 ? max / 127 : 1;
  }
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      values[r * cols + c] = Math.max(
        -127,
        Math.min(127, Math.round((matrix[r * cols + c] ?? 0) / (scales[c] ?? 1))),
      );
  }
  return { values, scales };
}

export function buildEncoderGraph(
  weights: (name: string) => Tensor,
  config: EncoderConfig,
  options: { int8: boolean },
): OnnxGraph {
  const g = new GraphBuilder();
  const H = config.hiddenSize;
  const headDim = H / config.heads;
  const param = (name: string) => {
    const t = weights(name);
    return g.constant(name, t.shape, t.data);
  };

  const linear = (input: string, prefix: string): string => {
    const weight = weights(`${prefix}.weight`);
    const [outFeatures, inFeatures] = weight.shape as [number, number];
    const bias = param(`${prefix}.bias`);
    const matrix = transpose(weight);
    if (!options.int8) {
      const w = g.constant(`${prefix}.weight_t`, [inFeatures, outFeatures], matrix);
      return g.op('Add', [g.op('MatMul', [input, w]), bias]);
    }
    const { values, scales } = quantisePerColumn(matrix, inFeatures, outFeatures);
    g.initializers.push({
      name: `${prefix}.weight_q`,
      type: TensorType.INT8,
      dims: [inFeatures, outFeatures],
      raw: new Uint8Array(values.buffer),
    });
    const scale = g.constant(`${prefix}.weight_scale`, [outFeatures], scales);
    g.initializers.push({
      name: `${prefix}.weight_zero`,
      type: TensorType.INT8,
      dims: [outFeatures],
      raw: new Uint8Array(outFeatures),
    });
    return g.op(
      'DynamicQuantizeMatMul',
      [input, `${prefix}.weight_q`, scale, `${prefix}.weight_zero`, bias],
      undefined,
      'com.microsoft',
    );
  };

  const layerNorm = (input: string, prefix: string) =>
    g.op('LayerNormalization', [input, param(`${prefix}.weight`), param(`${prefix}.bias`)], {
      axis: -1,
      epsilon: config.layerNormEps,
    });

  const names = weightNames(config.family);
  const sequenceLength = g.op('Gather', [g.op('Shape', ['input_ids']), g.int64Scalar('sequence_axis', 1)], {
    axis: 0,
  });
  const positions = g.op('Range', [
    g.int64Scalar('range_start', 0),
    sequenceLength,
    g.int64Scalar('range_step', 1),
  ]);
  const word = g.op('Gather', [param('embeddings.word_embeddings.weight'), 'input_ids']);
  let embeddings: string;
  if (config.family === 'mpnet') {
    // create_position_ids_from_input_ids: real tokens count up from pad + 1, padding stays at pad.
    const pad = g.int64Scalar('pad_token_id', config.padTokenId);
    const isToken = g.op('Cast', [g.op('Not', [g.op('Equal', ['input_ids', pad])])], {
      to: TensorType.INT64,
    });
    const counted = g.op('Mul', [g.op('CumSum', [isToken, g.int64Scalar('cumsum_axis', 1)]), isToken]);
    const positionIds = g.op('Add', [counted, pad]);
    const position = g.op('Gather', [param('embeddings.position_embeddings.weight'), positionIds]);
    embeddings = g.op('Add', [word, position]);
  } else {
    // Absolute positions from 0, plus token-type embeddings.
    const position = g.op('Gather', [param('embeddings.position_embeddings.weight'), positions]);
    const tokenType = g.op('Gather', [param('embeddings.token_type_embeddings.weight'), 'token_type_ids']);
    embeddings = g.op('Add', [g.op('Add', [word, position]), tokenType]);
  }
  let hidden = layerNorm(embeddings, 'embeddings.LayerNorm');

  // Attention mask → additive bias [B, 1, 1, S]: 0 where attended, a large negative elsewhere.
  const maskFloat = g.op('Cast', ['attention_mask'], { to: TensorType.FLOAT });
  const inverted = g.op('Sub', [g.constant('one', [], [1]), maskFloat]);
  const maskBias = g.op('Unsqueeze', [
    g.op('Mul', [inverted, g.constant('mask_value', [], [-3.4028234663852886e38 / 2])]),
    g.int64('mask_axes', [1, 2]),
  ]);

  const splitHeads = g.int64('split_heads_shape', [0, 0, config.heads, headDim]);
  const mergeHeads = g.int64('merge_heads_shape', [0, 0, H]);
  const scale = g.constant('attention_scale', [], [1 / Math.sqrt(headDim)]);
  const positionBias = config.family === 'mpnet' ? relativeBias(g, weights, config, positions) : null;
  const sqrt2 = g.constant('sqrt2', [], [Math.SQRT2]);
  const half = g.constant('half', [], [0.5]);

  for (let l = 0; l < config.layers; l++) {
    const p = `encoder.layer.${l}`;
    const heads = (name: 'query' | 'key' | 'value', perm: number[]) =>
      g.op('Transpose', [g.op('Reshape', [linear(hidden, names.attention(l, name)), splitHeads])], {
        perm,
      });
    const query = heads('query', [0, 2, 1, 3]);
    const key = heads('key', [0, 2, 3, 1]);
    const value = heads('value', [0, 2, 1, 3]);
    const scaled = g.op('Mul', [g.op('MatMul', [query, key]), scale]);
    const scores = g.op('Add', [positionBias ? g.op('Add', [scaled, positionBias]) : scaled, maskBias]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), value]);
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), mergeHeads]);
    const attention = layerNorm(
      g.op('Add', [linear(merged, names.attention(l, 'output')), hidden]),
      names.attentionNorm(l),
    );
    const intermediate = linear(attention, `${p}.intermediate.dense`);
    // Exact GELU, as BERT uses: 0.5 · x · (1 + erf(x / √2)).
    const gelu = g.op('Mul', [
      g.op('Mul', [
        intermediate,
        g.op('Add', [g.op('Erf', [g.op('Div', [intermediate, sqrt2])]), g.constant(`one_${l}`, [], [1])]),
      ]),
      half,
    ]);
    hidden = layerNorm(g.op('Add', [linear(gelu, `${p}.output.dense`), attention]), `${p}.output.LayerNorm`);
  }
  g.nodes.push({ op: 'Identity', inputs: [hidden], outputs: ['last_hidden_state'] });

  const dynamic = ['batch_size', 'sequence_length'];
  // MPNet has no token types; transformers.js feeds only the inputs a model declares.
  const inputs =
    config.family === 'mpnet'
      ? ['input_ids', 'attention_mask']
      : ['input_ids', 'attention_mask', 'token_type_ids'];
  return {
    name: config.family,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: inputs.map((name) => ({
      name,
      type: TensorType.INT64,
      shape: dynamic,
    })),
    outputs: [{ name: 'last_hidden_state', type: TensorType.FLOAT, shape: [...dynamic, H] }],
  };
}

/**
 * MPNet's relative-position bias as [1, heads, S, S], shared by every layer. The bias of each
 * distance (−(P−1) … P−1) is looked up once here, so the graph only gathers rows of a small
 * [2P−1, heads] table by `key − query + P − 1`.
 */
function relativeBias(
  g: GraphBuilder,
  weights: (name: string) => Tensor,
  config: EncoderConfig,
  positions: string,
): string {
  const table = weights('encoder.relative_attention_bias.weight'); // [buckets, heads]
  const span = config.maxPositions;
  const byDistance = new Float32Array((2 * span - 1) * config.heads);
  for (let d = -(span - 1); d <= span - 1; d++) {
    const bucket = relativePositionBucket(d, config.relativeBuckets);
    for (let h = 0; h < config.heads; h++)
      byDistance[(d + span - 1) * config.heads + h] = table.data[bucket * config.heads + h] ?? 0;
  }
  const biasTable = g.constant('relative_bias_by_distance', [2 * span - 1, config.heads], byDistance);
  const keys = g.op('Unsqueeze', [positions, g.int64('bias_key_axis', [0])]); // [1, S]
  const queries = g.op('Unsqueeze', [positions, g.int64('bias_query_axis', [1])]); // [S, 1]
  const index = g.op('Add', [g.op('Sub', [keys, queries]), g.int64Scalar('bias_offset', span - 1)]);
  const bias = g.op('Gather', [biasTable, index]); // [S, S, heads]
  return g.op('Unsqueeze', [g.op('Transpose', [bias], { perm: [2, 0, 1] }), g.int64('bias_batch_axis', [0])]);
}
