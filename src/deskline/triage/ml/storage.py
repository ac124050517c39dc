"""Model files: written atomically (temporary file, then rename) with a JSON sidecar
that says what the model is and how good it was, readable without unpickling.

A model file is a pickle: load only files this install wrote (the paths come from
the database or from an admin's command line, never from a request).
"""

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deskline.triage.ml.classifier import TextClassifier

FORMAT = "deskline-triage"
# 2: the model has a cascade (a second, fast embedding engine; classifier.py), which
# versions before it would ignore, predicting with the wrong calibration: they refuse
# it instead and say to retrain. 3: its fast stage has a guard (cascade.py) that
# version-2 readers would ignore, answering texts the model leaves to the main engine.
# Models without a cascade are still written as 1, which every version reads.
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)


def _version(classifier: "TextClassifier") -> int:
    if not getattr(classifier, "fast_model", ""):
        return 1
    return FORMAT_VERSION if getattr(classifier, "fast_guard", None) is not None else 2


class ModelFileError(Exception):
    """A model file is missing, unreadable or of another format."""


def metadata_path(path: str | os.PathLike) -> Path:
    return Path(f"{path}.json")


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(
    classifier: "TextClassifier", path: str | os.PathLike, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write the model and its metadata; return the metadata."""
    path = Path(path)
    version = _version(classifier)
    metadata = {
        "format": FORMAT,
        "format_version": version,
        **classifier.describe(),
        **(extra or {}),
    }
    payload = {"format": FORMAT, "format_version": version, "classifier": classifier}
    import joblib

    _atomic_write(path, lambda out: joblib.dump(payload, out, compress=3))
    write_metadata(path, metadata)
    return metadata


def write_metadata(path: str | os.PathLike, metadata: dict[str, Any]) -> None:
    """(Re)write a model file's JSON sidecar."""
    text = json.dumps(metadata, ensure_ascii=False, indent=1, default=str).encode()
    _atomic_write(metadata_path(path), lambda out: out.write(text))


def remove_model(path: str | os.PathLike) -> None:
    Path(path).unlink(missing_ok=True)
    metadata_path(path).unlink(missing_ok=True)


def load_model(path: str | os.PathLike) -> "TextClassifier":
    import joblib  # with the classes it unpickles: slow to import, so only when needed

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no model file at {path}")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # a truncated or foreign file: say so, don't crash
        raise ModelFileError(f"{path} is not a readable model file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a Deskline triage model")
    if payload.get("format_version") not in READABLE_VERSIONS:
        raise ModelFileError(
            f"{path} has model format {payload.get('format_version')}; this version reads "
            f"{', '.join(map(str, READABLE_VERSIONS))}: retrain the model"
        )
    return payload["classifier"]


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    try:
        return json.loads(metadata_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"no readable metadata for {path}: {exc}") from exc
