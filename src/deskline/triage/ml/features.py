"""Features that work across English, Arabic and Chinese without a tokenizer per
language: TF-IDF of character n-grams (inside word boundaries, so they also cover
Chinese, written without spaces) plus TF-IDF of word uni- and bigrams, and optionally
sentence embeddings appended as dense columns."""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass
class FeatureConfig:
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    max_char_features: int = 300_000
    max_word_features: int = 150_000
    # Weight of the embedding block against the TF-IDF blocks (each row has norm 1).
    embedding_weight: float = 1.0


class Featurizer:
    """Fitted on training texts; turns normalized texts (and their embeddings) into rows."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=config.char_ngrams,
            sublinear_tf=True,
            max_features=config.max_char_features,
            dtype=np.float32,
        )
        self.word = TfidfVectorizer(
            analyzer="word",
            ngram_range=config.word_ngrams,
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",
            max_features=config.max_word_features,
            dtype=np.float32,
        )

    def fit_transform(self, texts: list[str], embeddings: np.ndarray | None) -> sparse.csr_matrix:
        blocks = [self.char.fit_transform(texts), self.word.fit_transform(texts)]
        return self._stack(blocks, embeddings)

    def transform(self, texts: list[str], embeddings: np.ndarray | None) -> sparse.csr_matrix:
        blocks = [self.char.transform(texts), self.word.transform(texts)]
        return self._stack(blocks, embeddings)

    def _stack(self, blocks: list, embeddings: np.ndarray | None) -> sparse.csr_matrix:
        if embeddings is not None:
            blocks.append(sparse.csr_matrix(embeddings * self.config.embedding_weight))
        return sparse.hstack(blocks, format="csr")
