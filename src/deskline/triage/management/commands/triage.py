"""`deskline triage train|predict`: bulk training and prediction on CSV files."""

import csv
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from deskline.triage.ml.csvio import CsvError, Table, legacy_warning, read_table, split_columns


class Command(BaseCommand):
    help = "Train a triage model from a CSV file, or predict labels for a CSV file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        train = commands.add_parser("train", help="train a model from labelled rows")
        train.add_argument("--csv", required=True, help="CSV file with a header row")
        train.add_argument("--text", required=True, help="text column(s), comma-separated")
        train.add_argument("--label", required=True, help="label column")
        train.add_argument("--model", help="where to write the model")
        train.add_argument(
            "--desk",
            help="instead of --model: train this desk's model from its history in the file "
            "(labels as the desk names them: category paths, team slugs, priorities, types)",
        )
        train.add_argument(
            "--target",
            choices=["category", "team", "priority", "type"],
            help="with --desk: the ticket field the labels are for",
        )
        train.add_argument("--folds", type=int, default=5, help="cross-validation folds")
        train.add_argument(
            "--reject-rate",
            type=float,
            default=None,
            help="share of known texts the out-of-scope confidence threshold may reject "
            "(default 0.05); given, it replaces the embedding-similarity rule",
        )
        train.add_argument(
            "--reject-cost",
            type=float,
            default=None,
            help="instead of --reject-rate: cost of answering 'none of these', as a share "
            "of a wrong label; the threshold is the cheapest on cross-validated predictions",
        )
        train.add_argument("--oos-label", default=None, help="label of out-of-scope examples")
        train.add_argument(
            "--oos-use",
            choices=["label", "rule"],
            default="label",
            help="what --oos-label rows are for: a label of their own, or (with "
            "embeddings) fitting the 'none of these' rule",
        )
        train.add_argument(
            "--embeddings",
            choices=["auto", "yes", "no"],
            default="auto",
            help="average in a model on sentence embeddings (auto: when the `ai` extra "
            "is installed)",
        )
        predict = commands.add_parser("predict", help="print label,confidence for each row")
        for sub in (train, predict):
            sub.add_argument(
                "--encoding",
                default=None,
                help="the CSV file's encoding (default: UTF-8 or UTF-16, else cp1252 and a "
                "warning)",
            )
        predict.add_argument("--model", required=True)
        predict.add_argument("--csv", required=True)
        predict.add_argument("--text", required=True, help="text column(s), comma-separated")
        predict.add_argument("--id", default=None, help="a column copied into the output")

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here, after the arguments parsed: scikit-learn is slow to import.
        from deskline.triage.ml.storage import ModelFileError

        try:
            if options["action"] == "train":
                self._train(options)
            else:
                self._predict(options)
        except BrokenPipeError:
            # The reader stopped early (`| head`): not an error of ours.
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (CsvError, ModelFileError, ValueError, RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from exc

    def _read(self, options: dict[str, Any]) -> Table:
        table = read_table(options["csv"], options["encoding"])
        warning = None if options["encoding"] else legacy_warning(options["csv"], table)
        if warning:
            self.stderr.write(warning)
        return table

    def _train(self, options: dict[str, Any]) -> None:
        if bool(options["model"]) == bool(options["desk"]):
            raise CommandError("give either --model (a file) or --desk with --target")
        if options["desk"] and not options["target"]:
            raise CommandError("--desk needs --target (category, team, priority or type)")
        if options["folds"] < 0 or options["folds"] == 1:
            raise CommandError("--folds must be 0 (no cross-validation) or at least 2")
        rate = options["reject_rate"]
        if rate is not None and not 0 <= rate < 1:
            raise CommandError("--reject-rate must be in [0, 1)")
        cost = options["reject_cost"]
        if cost is not None and not 0 <= cost <= 1:
            raise CommandError("--reject-cost must be in [0, 1]")
        table = self._read(options)
        texts = table.texts(split_columns(options["text"]))
        labels = table.values(options["label"])
        from deskline.triage.ml.classifier import ClassifierConfig, TextClassifier
        from deskline.triage.ml.storage import save_model

        config = self._config(options, ClassifierConfig)
        if options["desk"]:
            self._train_desk(options, config)
            return
        keep = [i for i, (t, y) in enumerate(zip(texts, labels, strict=True)) if t and y]
        skipped = len(texts) - len(keep)
        if not keep:
            raise CommandError(f"no row has both a text and a label ({len(texts)} rows read)")
        kept_labels = {labels[i] for i in keep}
        if len(kept_labels) == 1:
            raise CommandError(
                f"every row with a text has the label {kept_labels.pop()!r}; training needs "
                f"at least two labels"
            )
        started = time.perf_counter()
        classifier = TextClassifier(config).fit([texts[i] for i in keep], [labels[i] for i in keep])
        metadata = save_model(
            classifier,
            options["model"],
            {"source": str(options["csv"]), "rows": len(keep), "skipped_rows": skipped},
        )
        metrics = metadata["metrics"]
        out = self.stderr
        out.write(
            f"trained on {len(keep)} rows ({skipped} without text or label skipped), "
            f"{len(classifier.labels)} labels, in {time.perf_counter() - started:.1f} s"
        )
        if metrics:
            out.write(
                f"{metrics['cv_folds']}-fold cross-validation: accuracy {metrics['accuracy']:.3f}, "
                f"macro-F1 {metrics['macro_f1']:.3f} (majority baseline "
                f"{metrics['majority_accuracy']:.3f})"
            )
        out.write(f"model written to {options['model']}")

    def _config(self, options: dict[str, Any], config_class: Any) -> Any:
        rate, cost = options["reject_rate"], options["reject_cost"]
        return config_class(
            cv_folds=options["folds"],
            reject_rate=None if cost is not None else (0.05 if rate is None else rate),
            reject_cost=0.5 if cost is None else cost,
            # An explicit confidence rule replaces the default similarity rule.
            reject_similarity=rate is None and cost is None,
            out_of_scope_label=options["oos_label"],
            out_of_scope_use=options["oos_use"],
            use_embeddings={"auto": None, "yes": True, "no": False}[options["embeddings"]],
        )

    def _train_desk(self, options: dict[str, Any], config: Any) -> None:
        from deskline.desks.models import Desk
        from deskline.triage.services import train_from_csv

        desk = Desk.objects.filter(slug=options["desk"]).first()
        if desk is None:
            raise CommandError(f"no desk {options['desk']!r}")
        model = train_from_csv(
            desk,
            options["target"],
            options["csv"],
            split_columns(options["text"]),
            options["label"],
            config,
            options["encoding"],
        )
        metrics = model.metrics.get("metrics") or {}
        self.stderr.write(
            f"{desk.slug} {model.target} v{model.version} trained on {model.rows} rows and "
            f"active; cross-validated accuracy {metrics.get('accuracy', '-')}, macro-F1 "
            f"{metrics.get('macro_f1', '-')}"
        )

    def _predict(self, options: dict[str, Any]) -> None:
        if not Path(options["model"]).is_file():
            raise CommandError(f"no model file at {options['model']}")
        table = self._read(options)
        texts = table.texts(split_columns(options["text"]))
        ids = table.values(options["id"]) if options["id"] else None
        from deskline.triage.ml.storage import load_model

        classifier = load_model(options["model"])
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(([options["id"]] if ids else []) + ["label", "confidence", "out_of_scope"])
        batch = 500
        for start in range(0, len(texts), batch):
            for offset, prediction in enumerate(classifier.predict(texts[start : start + batch])):
                row = [prediction.best_label, f"{prediction.confidence:.4f}"]
                row.append("1" if prediction.out_of_scope else "0")
                writer.writerow(([ids[start + offset]] if ids else []) + row)
        sys.stdout.flush()
