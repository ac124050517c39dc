"""Document embeddings and the hybrid (lexical + semantic) ranking of articles."""

from django.db.models import F, QuerySet

from deskline.search import semantic
from deskline.search.models import DocumentEmbedding, Kind, SearchDocument

BATCH = 32


def embed_documents(document_ids: list[int]) -> int:
    """(Re)compute embeddings of these documents when missing or stale."""
    if not semantic.available():
        return 0
    stale = (
        SearchDocument.objects.filter(pk__in=document_ids)
        .exclude(embedding__indexed_at=F("indexed_at"))
        .order_by("pk")
    )
    done = 0
    rows = list(stale)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        vectors = semantic.embed([f"{d.title}\n{d.text}" for d in batch], query=False)
        for document, vector in zip(batch, vectors, strict=True):
            DocumentEmbedding.objects.update_or_create(
                document=document,
                defaults={
                    "model": semantic.MODEL_NAME,
                    "vector": semantic.to_bytes(vector),
                    "indexed_at": document.indexed_at,
                },
            )
            done += 1
    return done


def embed_all(kind: str = Kind.ARTICLE) -> int:
    ids = list(SearchDocument.objects.filter(kind=kind).values_list("pk", flat=True))
    return embed_documents(ids)


def semantic_ranking(documents: QuerySet[SearchDocument], query: str, *, limit: int) -> list[int]:
    """Object ids of the (already permission-filtered) documents closest in meaning."""
    rows = list(
        DocumentEmbedding.objects.filter(
            document__in=documents, model=semantic.MODEL_NAME
        ).values_list("document__object_id", "vector")
    )
    if not rows:
        return []
    matrix = semantic.from_bytes([bytes(v) for _, v in rows])
    scores = matrix @ semantic.embed([query], query=True)[0]
    order = scores.argsort()[::-1][:limit]
    return [rows[i][0] for i in order]
