"""Articles → search documents, written in the same transaction as the article."""

from deskline.kb.markdown import markdown_to_text
from deskline.kb.models import Article, ArticleVisibility
from deskline.search import indexing
from deskline.search.models import Kind
from deskline.search.tasks import enqueue_embedding


def index_article(article: Article) -> None:
    document = indexing.save_document(
        Kind.ARTICLE,
        article.pk,
        title=article.title,
        body=f"{article.category}\n{markdown_to_text(article.body)}",
        desk_id=article.desk_id,
        status=article.state,
        language=article.language.split("-")[0].lower(),
        internal=article.visibility == ArticleVisibility.INTERNAL,
        created_at=article.created_at,
    )
    enqueue_embedding(document.pk)


def reindex_articles() -> int:
    count = 0
    for article in Article.objects.order_by("pk").iterator():
        index_article(article)
        count += 1
    return count
