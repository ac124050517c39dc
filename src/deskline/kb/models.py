import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    GUIDE = "guide", "Guide"
    TUTORIAL = "tutorial", "Tutorial"
    FAQ = "faq", "FAQ"
    KNOWN_ERROR = "known_error", "Known error"


class ArticleVisibility(models.TextChoices):
    PUBLIC = "public", "Public (requesters of the desk)"
    INTERNAL = "internal", "Internal (the desk's agents)"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Article(models.Model):
    """A knowledge-base article of a desk, in one language; its translations share
    `translation_group`. Body is Markdown; body_html its sanitized rendering."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="articles")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GUIDE)
    category = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(
        max_length=10, choices=ArticleVisibility.choices, default=ArticleVisibility.PUBLIC
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    language = models.CharField(max_length=10, default="en")
    translation_group = models.UUIDField(default=uuid.uuid4, db_index=True)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    # The solved ticket this article was written from, if any.
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["desk_id", "category", "title", "id"]
        indexes = [models.Index(fields=["desk", "state", "language"], name="article_desk_state")]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """Every saved title/body of an article; the article holds the latest."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="one_version_number")
        ]


class ArticleFeedback(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class TicketArticle(models.Model):
    """ "Resolved by article": the articles that answered a ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="resolved")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "article"], name="one_link_per_article")
        ]


class DeflectionEventKind(models.TextChoices):
    SUGGESTED = "suggested", "Articles suggested"
    OPENED = "opened", "Article opened"
    ABANDONED = "abandoned", "Request abandoned"
    SUBMITTED = "submitted", "Request submitted"


class DeflectionEvent(models.Model):
    """One step of a requester writing a request; `session` ties the steps together."""

    session = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=10, choices=DeflectionEventKind.choices)
    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(max_length=500, blank=True)
    result_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["desk", "created_at"], name="deflection_desk_time")]


class ArticleFile(models.Model):
    """An image or attachment of an article, stored like ticket attachments (content
    addressed under ATTACHMENT_ROOT). Readable by whoever may read the article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article_id", "id"]
