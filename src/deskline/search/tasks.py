from django.db import transaction

from deskline.core.tasks import task
from deskline.search import embeddings


@task()
def embed_documents(document_ids: list[int]) -> int:
    """Compute the embeddings of these documents (semantic search, `ai` extra)."""
    return embeddings.embed_documents(document_ids)


def enqueue_embedding(document_id: int) -> None:
    """After commit, when the `ai` extra is installed; a no-op without it."""
    if embeddings.semantic.available():
        transaction.on_commit(lambda: embed_documents.enqueue([document_id]))
