from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    TICKET = "ticket", "Ticket"
    MESSAGE = "message", "Message"
    ARTICLE = "article", "Article"
    USER = "user", "Person"


class SearchDocument(models.Model):
    """One searchable thing: what the permission filters need, and its tokens.

    The full-text index itself is the backend's (an FTS5 table on SQLite, a tsvector
    column on PostgreSQL, both kept in step with this table by database triggers, see
    migrations), so writing this row is all it takes to index or re-index.
    """

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    desk = models.ForeignKey(
        "desks.Desk", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Ticket status, or article state (draft/published/archived).
    status = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=10, blank=True)
    # An internal note, or an article for agents only.
    internal = models.BooleanField(default=False)
    title = models.CharField(max_length=500, blank=True)
    # Plain text shown in snippets (cut; the tokens cover the whole text).
    text = models.TextField(blank=True)
    tokens_title = models.TextField(blank=True)
    tokens_body = models.TextField(blank=True)
    # Who may find a ticket or message, as index tokens the full-text query can
    # require, so that a search walks only what the user may see (search/access.py):
    # "d<desk>" for the desk's agents, "r<requester>" and "o<organization>" for the
    # requester side (not on internal notes); articles and people: their kind. The
    # permission condition still runs in every query; these only narrow its scan.
    access = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    indexed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="one_document_per_object")
        ]
        indexes = [
            models.Index(fields=["ticket"], name="searchdoc_ticket"),
            models.Index(fields=["desk", "kind"], name="searchdoc_desk"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class DocumentEmbedding(models.Model):
    """A document's sentence embedding (optional `ai` extra), float16, L2-normalized."""

    document = models.OneToOneField(
        SearchDocument, on_delete=models.CASCADE, related_name="embedding"
    )
    model = models.CharField(max_length=50)
    vector = models.BinaryField()
    # The document version it was computed from: stale when the document changed since.
    indexed_at = models.DateTimeField()
