/**
 * Generates test/fixtures/tiny-embedder: a BERT-shaped ONNX model (input_ids, attention_mask,
 * token_type_ids → last_hidden_state) with a WordPiece tokenizer.json, small enough to commit.
 *
 * Why this shape: tests must run the real transformers.js path (tokenizer, onnxruntime session,
 * mean pooling, normalisation) without the Hugging Face hub. Each token gets a pseudo-random
 * "hashed" vector, sin(id·a + b), scaled by a per-token weight (special tokens 0, stop words and
 * single characters low), so after mean pooling texts that share content words are similar.
 *
 * The vocabulary is every word of the committed sources plus a list of common English words, and
 * all single characters (as word starts and ## continuations) so no word becomes [UNK].
 *
 * Run: npx tsx scripts/make-tiny-embedder.ts [--sources data/sources] [--out test/fixtures/tiny-embedder]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '../bench/stats.ts';
import { encodeModel, floatTensor, int64Tensor, TensorType } from '../src/model/onnx.ts';
import { STOP_WORDS } from '../src/text/stop-words.ts';

const HIDDEN_SIZE = 96;
const MAX_TOKENS = 256;
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const CHARACTERS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const PUNCTUATION = '.,;:!?\'"()[]{}-_/\\@#$%&*+=<>|~`^'.split('');
const COMMON_WORDS = `
about above after again against ago all also always among and answer any area around ask asked
back bad because become been before began being best better between big book both bring build business
call called came can capital car case cause change child children city close come common company could country
court cup day days did different do does done door down during each early earth east economy end enough even
every example eye face fact family far fast father feel few find first five food for form found four free
friend from full game gave get give go going good government great group grow had half hand happen hard has
have head hear heart help her here high him his history home hour house how however idea important into
issue its job just keep kind know land large last late law lead learn leave left less life light like line
little live long look lot made make man many market may mean men might mind money month more most mother move
much must name nation need never new news next night now number of off often old once only open order other
our out over own page paper part party people place plan play point power present price problem program
public question quick quickly read real reason report result right river road room rule run said same say
school second see seem sell send set several she should show side since small social some something song
soon sound south speak start state still stop story student study such sure system take talk team tell
than thank that the their them then there these they thing think this those though thought three through
time today together told too took town tree true try turn under until upon use used very want war was
water way week well went were west what when where which while white who whole why will with without woman
women word work world would write year years yes yet young your
`;

function vocabularyFrom(sourcesDir: string): string[] {
  const words = new Set<string>(COMMON_WORDS.split(/\s+/).filter(Boolean));
  for (const name of readdirSync(sourcesDir)) {
    const text = readFileSync(join(sourcesDir, name), 'utf8');
    const normalised = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    for (const word of normalised.split(/[^\p{L}\p{N}]+/u)) if (word) words.add(word);
  }
  for (const c of [...CHARACTERS, ...PUNCTUATION]) words.delete(c);
  return [
    ...SPECIAL_TOKENS,
    ...CHARACTERS,
    ...PUNCTUATION,
    ...CHARACTERS.map((c) => `##${c}`),
    ...[...words].sort(),
  ];
}

function tokenWeight(token: string): number {
  if (SPECIAL_TOKENS.includes(token)) return 0;
  if (token.length === 1 || token.startsWith('##')) return PUNCTUATION.includes(token) ? 0 : 0.2;
  if (STOP_WORDS.has(token)) return 0.15;
  return 1;
}

function buildModel(vocab: string[]): Uint8Array {
  const random = seededRandom(42);
  const frequencies = Float32Array.from({ length: HIDDEN_SIZE }, () => 1 + random() * 97);
  const phases = Float32Array.from({ length: HIDDEN_SIZE }, () => random() * 2 * Math.PI);
  const weights = Float32Array.from(vocab, tokenWeight);
  const dynamic = ['batch_size', 'sequence_length'];
  return encodeModel({
    name: 'tiny-embedder',
    inputs: [
      { name: 'input_ids', type: TensorType.INT64, shape: dynamic },
      { name: 'attention_mask', type: TensorType.INT64, shape: dynamic },
      { name: 'token_type_ids', type: TensorType.INT64, shape: dynamic },
    ],
    outputs: [{ name: 'last_hidden_state', type: TensorType.FLOAT, shape: [...dynamic, HIDDEN_SIZE] }],
    initializers: [
      floatTensor('frequencies', [HIDDEN_SIZE], frequencies),
      floatTensor('phases', [HIDDEN_SIZE], phases),
      floatTensor('token_weights', [vocab.length], weights),
      int64Tensor('last_axis', [1], [-1]),
    ],
    nodes: [
      { op: 'Cast', inputs: ['input_ids'], outputs: ['ids_float'], attributes: { to: TensorType.FLOAT } },
      { op: 'Unsqueeze', inputs: ['ids_float', 'last_axis'], outputs: ['ids_column'] },
      { op: 'Mul', inputs: ['ids_column', 'frequencies'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'phases'], outputs: ['angles'] },
      { op: 'Sin', inputs: ['angles'], outputs: ['token_vectors'] },
      { op: 'Gather', inputs: ['token_weights', 'input_ids'], outputs: ['weights'] },
      { op: 'Unsqueeze', inputs: ['weights', 'last_axis'], outputs: ['weights_column'] },
      { op: 'Mul', inputs: ['token_vectors', 'weights_column'], outputs: ['last_hidden_state'] },
    ],
  });
}

function tokenizerJson(vocab: string[]): object {
  const id = (token: string) => vocab.indexOf(token);
  const special = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [
        special('[CLS]'),
        { Sequence: { id: 'A', type_id: 0 } },
        special('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      sources: { type: 'string', default: 'data/sources' },
      out: { type: 'string', default: 'test/fixtures/tiny-embedder' },
    },
  });
  const out = values.out;
  const vocab = vocabularyFrom(values.sources);
  mkdirSync(join(out, 'onnx'), { recursive: true });
  writeFileSync(join(out, 'onnx', 'model.onnx'), buildModel(vocab));
  writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab)));
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_TOKENS,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
  };
  writeFileSync(join(out, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: HIDDEN_SIZE,
    max_position_embeddings: MAX_TOKENS,
    vocab_size: vocab.length,
    _comment:
      'Tiny fixture model made by scripts/make-tiny-embedder.ts; hashed token vectors, not a trained model.',
  };
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  console.error(`tiny-embedder: ${vocab.length} tokens, ${HIDDEN_SIZE} dimensions → ${out}`);
}

main();
