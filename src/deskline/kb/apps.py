from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "deskline.kb"
    label = "kb"

    def ready(self) -> None:
        from deskline.search import indexing
        from deskline.search.models import Kind

        indexing.reindexers[Kind.ARTICLE] = _reindex_articles


def _reindex_articles() -> int:
    # Imported when a reindex runs, not when the app is ready: the article indexing
    # brings the Markdown parser, which every process (a mail server's pipe delivery
    # included) would otherwise import at start for nothing.
    from deskline.kb.indexing import reindex_articles

    return reindex_articles()
