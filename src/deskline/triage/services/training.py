"""Training a desk's models from its resolved tickets or from a historical CSV.

Agents' corrections feed training without a step of their own: a resolved ticket's
field holds the value the agent finally chose, and that value is the label.
"""

import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Max
from django.utils import timezone

from deskline.desks.models import Desk
from deskline.tickets.choices import Status
from deskline.tickets.models import Ticket
from deskline.triage.ml import save_model
from deskline.triage.ml.csvio import read_table
from deskline.triage.ml.storage import remove_model, write_metadata
from deskline.triage.models import Target, TriageModel
from deskline.triage.services.fields import current_value, desk_labels
from deskline.triage.services.texts import ticket_texts

if TYPE_CHECKING:
    from deskline.triage.ml import ClassifierConfig

log = logging.getLogger(__name__)

# Fewer examples than this (or fewer labels than two) make no useful model.
MIN_ROWS = 20
# The newest resolved tickets are the ones that describe today's desk.
MAX_TICKETS = 20_000
# Numbering a version conflicts only where rows cannot be locked; a few tries settle it.
RECORD_ATTEMPTS = 5


class NotEnoughData(ValueError):
    pass


class UnknownLabels(ValueError):
    """A historical file names labels the desk does not have."""


def model_root() -> Path:
    return Path(getattr(settings, "TRIAGE_MODEL_DIR", settings.DATA_DIR / "triage-models"))


def model_file(model: TriageModel) -> Path:
    return model_root() / model.path


def _resolved_tickets(desk: Desk) -> list[Ticket]:
    return list(
        Ticket.objects.filter(desk=desk, status__in=[Status.SOLVED, Status.CLOSED])
        .filter(merged_into__isnull=True)
        .select_related("category", "team")
        .order_by("-created_at", "-id")[:MAX_TICKETS]
    )


def tickets_dataset(desk: Desk, target: str) -> tuple[list[str], list[str]]:
    tickets = _resolved_tickets(desk)
    texts = ticket_texts(tickets)
    rows = [(texts[t.pk], current_value(t, target)) for t in tickets]
    rows = [(text, label) for text, label in rows if text and label]
    return [r[0] for r in rows], [r[1] for r in rows]


# The ticket field holding each target's label, to count labelled tickets in SQL.
_LABEL_FIELD = {
    "category": "category",
    "team": "team",
    "priority": "priority",
    "type": "ticket_type",
}


def check_history(desk: Desk, target: str) -> None:
    """Refuse at once a training the desk's resolved tickets cannot feed, so whoever
    asked hears why (the training itself runs in the background). Counts in SQL; the
    training still checks the texts it reads."""
    field = _LABEL_FIELD[target]
    labelled = (
        Ticket.objects.filter(desk=desk, status__in=[Status.SOLVED, Status.CLOSED])
        .filter(merged_into__isnull=True, **{f"{field}__isnull": False})
        .exclude(**{field: ""} if field in ("priority", "ticket_type") else {})
    )
    count = labelled.count()
    if count < MIN_ROWS:
        raise NotEnoughData(
            f"desk {desk.slug} has {count} resolved tickets with a {target}; at least "
            f"{MIN_ROWS} are needed"
        )
    if labelled.values(field).distinct().count() < 2:
        raise NotEnoughData(
            f"every resolved ticket of desk {desk.slug} has the same {target}; at least two "
            f"different ones are needed"
        )


def _check(texts: list[str], labels: list[str]) -> None:
    if len(texts) < MIN_ROWS:
        raise NotEnoughData(f"{len(texts)} labelled examples; at least {MIN_ROWS} are needed")
    if len(set(labels)) < 2:
        raise NotEnoughData("every example has the same label; at least two are needed")


def _train(
    desk: Desk,
    target: str,
    texts: list[str],
    labels: list[str],
    *,
    source: str,
    config: "ClassifierConfig | None" = None,
) -> TriageModel:
    if target not in Target.values:
        raise ValueError(f"target must be one of {Target.values}")
    _check(texts, labels)
    # Imported here: scikit-learn takes a second or more to import, and every process
    # that imports the triage services (the web app, the API, every command) would pay.
    from deskline.triage.ml import ClassifierConfig, TextClassifier

    classifier = TextClassifier(config or ClassifierConfig()).fit(texts, labels)
    # A name no other training can pick, written before the version is known: two
    # trainings of one desk and field at once each keep their own file, and the version
    # is numbered only under the lock below.
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    relative = f"{desk.slug}/{target}-{stamp}-{uuid.uuid4().hex[:12]}.joblib"
    path = model_root() / relative
    metadata = save_model(classifier, path, {"desk": desk.slug, "target": target, "source": source})
    try:
        model = _record(desk, target, relative, source, metadata, len(texts))
    except BaseException:
        remove_model(path)  # no row points at it
        raise
    write_metadata(path, model.metrics)  # the sidecar gains the version
    log.info("trained %s/%s v%s on %d rows", desk.slug, target, model.version, len(texts))
    return model


def _record(
    desk: Desk, target: str, relative: str, source: str, metadata: dict, rows: int
) -> TriageModel:
    """Number the new version and make it the active one, one training at a time."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            with transaction.atomic():
                # The desk's row is the lock on PostgreSQL; on SQLite every write
                # transaction already queues on the writers' lock.
                Desk.objects.select_for_update().filter(pk=desk.pk).values_list("pk").first()
                last = TriageModel.objects.filter(desk=desk, target=target).aggregate(
                    last=Max("version")
                )["last"]
                version = (last or 0) + 1
                TriageModel.objects.filter(desk=desk, target=target, active=True).update(
                    active=False
                )
                return TriageModel.objects.create(
                    desk=desk,
                    target=target,
                    version=version,
                    path=relative,
                    source=source,
                    metrics={**metadata, "version": version},
                    rows=rows,
                    trained_at=timezone.now(),
                    active=True,
                )
        except (IntegrityError, OperationalError) as exc:
            # Another training numbered the same version without the lock, or held the
            # table (SQLite without the writers' lock: in memory, shared cache): again.
            if isinstance(exc, OperationalError) and "locked" not in str(exc):
                raise
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def train_from_tickets(
    desk: Desk, target: str, config: "ClassifierConfig | None" = None
) -> TriageModel:
    texts, labels = tickets_dataset(desk, target)
    return _train(desk, target, texts, labels, source="tickets", config=config)


def train_from_csv(
    desk: Desk,
    target: str,
    path: str | Path,
    text_columns: list[str],
    label_column: str,
    config: "ClassifierConfig | None" = None,
    encoding: str | None = None,
) -> TriageModel:
    """Bootstrap a new desk from another tool's export (labels as this desk names them:
    category paths, team slugs, priority and type values)."""
    if target not in Target.values:
        raise ValueError(f"target must be one of {Target.values}")
    table = read_table(path, encoding)
    texts = table.texts(text_columns)
    labels = table.values(label_column)
    rows = [(t, y) for t, y in zip(texts, labels, strict=True) if t and y]
    # A label the desk lacks could never be applied to a ticket: say so before training.
    known = desk_labels(desk, target)
    unknown = sorted({y for _, y in rows} - known)
    if unknown:
        raise UnknownLabels(
            f"desk {desk.slug} has no {target} {', '.join(map(repr, unknown[:10]))}"
            f"{' and more' if len(unknown) > 10 else ''}; it has: "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    return _train(
        desk, target, [r[0] for r in rows], [r[1] for r in rows], source="csv", config=config
    )


def _changed_since_training(desk: Desk, target: str) -> bool:
    active = TriageModel.objects.filter(desk=desk, target=target, active=True).first()
    if active is None or active.source != "tickets":
        # A desk bootstrapped from a CSV keeps that model until its own history is enough.
        return active is None or len(_resolved_tickets(desk)) >= max(MIN_ROWS, active.rows)
    return Ticket.objects.filter(
        desk=desk, status__in=[Status.SOLVED, Status.CLOSED], updated_at__gt=active.trained_at
    ).exists()


def retrain_all() -> dict[str, str]:
    """Retrain every target of every active desk that has enough resolved tickets."""
    results: dict[str, str] = {}
    for desk in Desk.objects.filter(is_active=True):
        for target in Target.values:
            key = f"{desk.slug}/{target}"
            if not _changed_since_training(desk, target):
                results[key] = "unchanged"
                continue
            try:
                model = train_from_tickets(desk, target)
            except NotEnoughData as exc:
                results[key] = f"skipped: {exc}"
            except Exception as exc:  # one desk's failure must not stop the others
                log.exception("retraining %s failed", key)
                results[key] = f"failed: {exc}"
            else:
                results[key] = f"v{model.version}"
    return results
