from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "deskline.kb"
    label = "kb"

    def ready(self) -> None:
        from deskline.kb.indexing import reindex_articles
        from deskline.search import indexing
        from deskline.search.models import Kind

        indexing.reindexers[Kind.ARTICLE] = reindex_articles
