from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "deskline.search"
    label = "search"

    def ready(self) -> None:
        from deskline.search import bulk, hooks, indexing
        from deskline.search.models import Kind

        hooks.register()
        # Tickets and messages are many: rebuilt in chunks (search/bulk.py).
        indexing.reindexers[Kind.TICKET] = bulk.reindex_tickets
        indexing.reindexers[Kind.MESSAGE] = bulk.reindex_messages
