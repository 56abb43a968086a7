"""A tiny MPNet sentence-transformers checkpoint and its reference embeddings, for the importer test.

all-mpnet-base-v2 is 420 MB; this checkpoint has the same structure (relative-position bias,
positions counted past the padding index, no token types) at a few dozen KB, random weights, so
CI can check the MPNet graph against sentence-transformers on every run. Run once where
sentence-transformers is installed (it pulls in PyTorch, so it is not part of CI); the output is
committed under test/fixtures/tiny-mpnet/ and test/fixtures/tiny-mpnet-reference.json:

    python3 -m pip install sentence-transformers
    HF_HUB_OFFLINE=1 python3 scripts/make-tiny-mpnet.py
"""
import json
import math
import shutil
from pathlib import Path

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer, models
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers import MPNetConfig, MPNetModel, MPNetTokenizerFast
from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "tiny-mpnet"

SENTENCES = [
    "How many time zones does Russia have?",
    "Russia has eleven time zones.",
    "Rare earth elements are used in phones.",
    "Comments are closed.",
    # Over 16 and over 32 word pieces: the log-spaced buckets of the relative-position bias.
    "Russia and China trade rare earth elements, oil, gas and grain across eleven time zones "
    "while the ports wait, the trains wait, the ships wait and the markets watch every single day "
    "of the long cold year.",
    "A",
]


def tokenizer_files(folder: Path) -> int:
    words = sorted({w.strip(".,?!").lower() for s in SENTENCES for w in s.split()} - {""})
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = ["<s>", "<pad>", "</s>", "[UNK]", "<mask>", ".", ",", "?", "!"]
    vocab += words + [l for l in letters if l not in words] + [f"##{l}" for l in letters]
    tok = Tokenizer(WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    fast = MPNetTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        pad_token="<pad>",
        unk_token="[UNK]",
        mask_token="<mask>",
        model_max_length=64,
    )
    fast.save_pretrained(str(folder))
    for extra in ("vocab.txt", "special_tokens_map.json"):
        (folder / extra).unlink(missing_ok=True)
    return len(vocab)


def main() -> None:
    torch.manual_seed(7)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    vocab_size = tokenizer_files(OUT)
    config = MPNetConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=66,
        relative_attention_num_buckets=32,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    model = MPNetModel(config, add_pooling_layer=False)
    # Random init leaves the relative bias near zero; make it matter.
    with torch.no_grad():
        model.encoder.relative_attention_bias.weight.normal_(0, 1.0)
    model.save_pretrained(str(OUT), safe_serialization=True)

    transformer = models.Transformer(str(OUT), max_seq_length=64)
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
    st = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")
    st.save(str(OUT))
    # Only what the importer reads; sentence-transformers' README and the like are noise here.
    for extra in ("README.md", "config_sentence_transformers.json"):
        (OUT / extra).unlink(missing_ok=True)

    reloaded = SentenceTransformer(str(OUT), device="cpu")
    vectors = reloaded.encode(SENTENCES, normalize_embeddings=True, batch_size=len(SENTENCES))
    distances = list(range(-70, 71))
    buckets = MPNetEncoder.relative_position_bucket(torch.tensor(distances), num_buckets=32).tolist()
    (ROOT / "test" / "fixtures" / "tiny-mpnet-reference.json").write_text(
        json.dumps(
            {
                "model": "random tiny MPNet (scripts/make-tiny-mpnet.py)",
                "sentenceTransformers": sentence_transformers.__version__,
                "sentences": SENTENCES,
                "tokens": [len(reloaded.tokenizer(s)["input_ids"]) for s in SENTENCES],
                "vectors": [[round(float(x), 7) for x in v] for v in vectors],
                "relativeBuckets": {"distances": distances, "buckets": buckets},
            }
        )
        + "\n"
    )
    size = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"wrote {OUT} ({math.ceil(size / 1024)} KB) and tiny-mpnet-reference.json")


if __name__ == "__main__":
    main()
