"""Small, real slices of ../shared/data for the triage tests (skipped without it)."""

import csv
import json
import random
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[4].parent / "shared" / "data"


def require(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (a clone without ../shared)")
    return path


def banking77(
    labels: int = 8, per_label: int = 50, seed: int = 1, spread: bool = True
) -> list[tuple[str, str]]:
    """(text, intent) rows of a few BANKING77 intents, shuffled; spread: intents far
    apart in name order (distinct topics) rather than neighbours (card_..., card_...)."""
    path = require("intents/banking77/train.csv")
    with path.open(encoding="utf-8") as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    return _slice(rows, labels, per_label, seed, spread)


def arbanking77(labels: int = 8, per_label: int = 50, seed: int = 1) -> list[tuple[str, str]]:
    path = require("intents/arbanking77/Banking77_Arabized_MSA_PAL_train.csv")
    with path.open(encoding="utf-8") as handle:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(handle)]
    return _slice(rows, labels, per_label, seed)


def clinc150() -> dict[str, list[list[str]]]:
    path = require("intents/clinc150/data.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _slice(
    rows: list[tuple[str, str]], labels: int, per_label: int, seed: int, spread: bool = True
) -> list:
    step = max(1, 77 // labels) if spread else 1
    chosen = sorted({label for _, label in rows})[::step][:labels]
    picked: list[tuple[str, str]] = []
    for label in chosen:
        picked += [r for r in rows if r[1] == label][:per_label]
    random.Random(seed).shuffle(picked)
    return picked


def split(rows: list, held_out: float = 0.25) -> tuple[list, list]:
    cut = int(len(rows) * (1 - held_out))
    return rows[:cut], rows[cut:]
