"""`deskline triage train` and `predict` as a user runs them: real processes, real files."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deskline.triage.tests import shared_data

DESKLINE = [sys.executable, "-m", "deskline"]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DESKLINE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [*DESKLINE, "triage", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, list[tuple[str, str]]]:
    train, test = shared_data.split(shared_data.banking77(labels=5, per_label=30))
    training = tmp_path / "history.csv"
    with training.open("w", encoding="cp1252", newline="") as out:  # an old export
        writer = csv.writer(out)
        writer.writerow(["Subject", "Body", "Group"])
        for i, (text, label) in enumerate(train):
            writer.writerow(["" if i % 7 else "Request", text, label])
        writer.writerow(["no label here", "", ""])
    new = tmp_path / "new.csv"
    with new.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "Subject", "Body"])
        for i, (text, _) in enumerate(test):
            writer.writerow([f"T{i}", "", text])
        writer.writerow(["T-empty", "", ""])
    return training, new, test


def test_train_then_predict_one_row_per_input_in_order(files, tmp_path):
    training, new, test = files
    model = tmp_path / "models" / "group.joblib"
    trained = _run(
        [
            "train",
            "--csv",
            str(training),
            "--text",
            "Subject,Body",
            "--label",
            "Group",
            "--model",
            str(model),
            "--folds",
            "3",
        ],
        tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    assert "1 without text or label skipped" in trained.stderr
    assert "3-fold cross-validation: accuracy" in trained.stderr
    assert model.exists() and Path(f"{model}.json").exists()

    predicted = _run(
        [
            "predict",
            "--model",
            str(model),
            "--csv",
            str(new),
            "--text",
            "Subject,Body",
            "--id",
            "id",
        ],
        tmp_path,
    )
    assert predicted.returncode == 0, predicted.stderr
    rows = list(csv.DictReader(predicted.stdout.splitlines()))
    assert [r["id"] for r in rows] == [f"T{i}" for i in range(len(test))] + ["T-empty"]
    assert all(0 <= float(r["confidence"]) <= 1 for r in rows)
    right = sum(r["label"] == label for r, (_, label) in zip(rows, test, strict=False))
    assert right >= 0.8 * len(test)


def test_bad_columns_and_paths_fail_clearly(files, tmp_path):
    training, new, _ = files
    model = tmp_path / "m.joblib"
    bad_column = _run(
        [
            "train",
            "--csv",
            str(training),
            "--text",
            "Subjekt",
            "--label",
            "Group",
            "--model",
            str(model),
        ],
        tmp_path,
    )
    assert bad_column.returncode != 0
    assert "no column 'Subjekt'; the file has: Subject, Body, Group" in bad_column.stderr
    missing = _run(
        ["predict", "--model", str(tmp_path / "nope.joblib"), "--csv", str(new), "--text", "Body"],
        tmp_path,
    )
    assert missing.returncode != 0 and "no model file at" in missing.stderr
    assert not model.exists()
    bad_cost = _run(
        ["train", "--csv", str(training), "--text", "Body", "--label", "Group"]
        + ["--model", str(model), "--reject-cost", "1.5"],
        tmp_path,
    )
    assert bad_cost.returncode != 0 and "--reject-cost must be in [0, 1]" in bad_cost.stderr
    assert not model.exists()


def test_out_of_scope_options_reach_the_model(files, tmp_path):
    training, _, test = files
    model = tmp_path / "m.joblib"
    examples = test[0][1]  # one of the labels, here standing for "none of these"
    trained = _run(
        ["train", "--csv", str(training), "--text", "Body", "--label", "Group"]
        + ["--model", str(model), "--folds", "3", "--embeddings", "no", "--reject-rate", "0.1"]
        + ["--oos-label", examples, "--oos-use", "rule"],
        tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    metadata = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    # The examples fit the rule instead of becoming a label; the explicit rate gives
    # the confidence rule.
    assert examples not in metadata["labels"] and len(metadata["labels"]) == 4
    assert metadata["config"]["out_of_scope_use"] == "rule"
    assert metadata["config"]["reject_similarity"] is False
    assert metadata["reject_rule"] == "in-scope rate 0.1"


def test_line_separators_inside_cells_do_not_split_rows(tmp_path):
    """Only CR and LF end a CSV row: a cell with U+2028, NEL or a form feed (text pasted
    from web pages and PDFs) is still one row, so predictions stay in input order."""
    training = tmp_path / "history.csv"
    with training.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for i in range(12):
            writer.writerow([f"my card was stolen last night {i}", "card"])
            writer.writerow([f"the exchange rate was wrong {i}", "rate"])
    model = tmp_path / "m.joblib"
    trained = _run(
        ["train", "--csv", str(training), "--text", "text", "--label", "label"]
        + ["--model", str(model), "--folds", "0", "--embeddings", "no"],
        tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    new = tmp_path / "new.csv"
    new.write_text(
        "id,text\n"
        "A,my card\u2028was stolen\n"
        "B,exchange rate\x85was wrong\n"
        "C,stolen card\x0cpage two\n"
        'D,"quoted\nexchange rate"\n',
        encoding="utf-8",
    )
    predicted = _run(
        ["predict", "--model", str(model), "--csv", str(new), "--text", "text", "--id", "id"],
        tmp_path,
    )
    assert predicted.returncode == 0, predicted.stderr
    rows = list(csv.DictReader(predicted.stdout.splitlines()))
    assert [(r["id"], r["label"]) for r in rows] == [
        ("A", "card"),
        ("B", "rate"),
        ("C", "card"),
        ("D", "rate"),
    ]


def test_files_in_other_encodings_are_read_or_flagged(tmp_path):
    """Excel saves Chinese as GBK and "Unicode text" as UTF-16 without a BOM. GBK bytes
    also decode as cp1252, as gibberish: the command says what it guessed, and
    --encoding reads the file right."""
    training = tmp_path / "history.csv"
    lost = ["我的卡丢了", "银行卡被偷了", "卡遗失了请冻结", "我的卡不见了"]
    rate = ["今天的汇率是多少", "美元汇率怎么算", "换汇用什么汇率", "欧元汇率是多少"]
    with training.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for i in range(3):
            writer.writerows([[f"{t} {i}", "lost"] for t in lost])
            writer.writerows([[f"{t} {i}", "rate"] for t in rate])
    model = tmp_path / "m.joblib"
    trained = _run(
        ["train", "--csv", str(training), "--text", "text", "--label", "label"]
        + ["--model", str(model), "--folds", "0", "--embeddings", "no"],
        tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    assert "warning" not in trained.stderr
    content = "id,text\nA,我的银行卡丢了\nB,请问汇率是多少\n"
    expected = [("A", "lost"), ("B", "rate")]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(content.encode("gbk"))
    wide = tmp_path / "wide.csv"
    wide.write_bytes(content.encode("utf-16-le"))

    def predict(path: Path, *extra: str) -> tuple[list[tuple[str, str]], str]:
        done = _run(
            ["predict", "--model", str(model), "--csv", str(path), "--text", "text"]
            + ["--id", "id", *extra],
            tmp_path,
        )
        assert done.returncode == 0, done.stderr
        rows = csv.DictReader(done.stdout.splitlines())
        return [(r["id"], r["label"]) for r in rows], done.stderr

    guessed, warned = predict(gbk)
    assert f"warning: {gbk} is not UTF-8; it was read as cp1252" in warned
    assert "--encoding" in warned
    assert predict(gbk, "--encoding", "gb18030") == (expected, "")
    assert predict(wide) == (expected, "")
    wrong = _run(
        ["predict", "--model", str(model), "--csv", str(gbk), "--text", "text"]
        + ["--encoding", "klingon"],
        tmp_path,
    )
    assert wrong.returncode != 0 and "unknown encoding 'klingon'" in wrong.stderr


def test_files_without_usable_rows_say_so(tmp_path):
    model = tmp_path / "m.joblib"
    cases = {
        "text,label\n,card\n  ,rate\n": "no row has both a text and a label (2 rows read)",
        "text,label\n": "no row has both a text and a label (0 rows read)",
        "text,label\nlost card,card\nstolen card,card\n,rate\n": (
            "every row with a text has the label 'card'; training needs at least two labels"
        ),
    }
    for number, (content, message) in enumerate(cases.items()):
        path = tmp_path / f"case{number}.csv"
        path.write_text(content, encoding="utf-8")
        done = _run(
            ["train", "--csv", str(path), "--text", "text", "--label", "label"]
            + ["--model", str(model), "--embeddings", "no"],
            tmp_path,
        )
        assert done.returncode != 0 and message in done.stderr, (content, done.stderr)
        assert "Traceback" not in done.stderr
    assert not model.exists()


def test_a_desk_imports_its_history_from_a_csv(it_desk, tmp_path, settings):
    """`deskline triage train --desk --target`: another tool's export becomes the desk's
    active model (in this process, on the test database)."""
    from django.core.management import CommandError, call_command

    from deskline.desks.services import create_category
    from deskline.triage.models import TriageModel

    settings.TRIAGE_MODEL_DIR = tmp_path / "models"
    rows = shared_data.banking77(labels=2, per_label=25)
    paths = {}
    for intent in sorted({y for _, y in rows}):
        category = create_category(it_desk, name=intent, slug=intent.lower().replace("_", "-"))
        paths[intent] = category.path
    history = tmp_path / "export.csv"
    with history.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Body", "Category"])
        writer.writerows([text, paths[intent]] for text, intent in rows)
        writer.writerow(["a request filed under a category this desk has not", "Hardware"])
    args = ["triage", "train", "--csv", str(history), "--text", "Body", "--label", "Category"]
    quick = ["--folds", "0", "--embeddings", "no"]

    with pytest.raises(CommandError, match="desk it has no category 'Hardware'; it has: "):
        call_command(*args, "--desk", "it", "--target", "category", *quick)
    assert not TriageModel.objects.exists()
    with pytest.raises(CommandError, match="--desk needs --target"):
        call_command(*args, "--desk", "it", *quick)
    with pytest.raises(CommandError, match="either --model"):
        call_command(*args, *quick)
    with pytest.raises(CommandError, match="no desk 'nope'"):
        call_command(*args, "--desk", "nope", "--target", "category", *quick)

    known = tmp_path / "known.csv"
    known.write_text("\n".join(history.read_text(encoding="utf-8").splitlines()[:-1]) + "\n")
    call_command(
        "triage", "train", "--csv", str(known), "--text", "Body", "--label", "Category",
        "--desk", "it", "--target", "category", *quick,
    )  # fmt: skip
    model = TriageModel.objects.get(desk=it_desk, target="category", active=True)
    assert model.source == "csv" and model.rows == len(rows) and model.version == 1
    assert sorted(model.metrics["labels"]) == sorted(paths.values())
    assert (tmp_path / "models" / model.path).is_file()


def test_the_command_list_names_triage(tmp_path):
    listed = subprocess.run(
        [*DESKLINE, "help"], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    assert listed.returncode == 0
    assert "triage train|predict" in listed.stdout
