"""Normalization: the same tokens for every spelling a person may type."""

import pytest

from deskline.search.snippets import highlight
from deskline.search.text import detect_language, index_text, query_tokens, tokens


@pytest.mark.parametrize(
    "variant",
    [
        "الشبكة",  # with the article
        "شبكة",  # without
        "شبكه",  # ة typed as ه
        "الشَّبَكَة",  # with diacritics
        "الشبــكة",  # with tatweel
        "وبالشبكة",  # "and with the network"
        "للشبكة",  # "for the network"
    ],
)
def test_arabic_variants_meet(variant):
    assert tokens(variant) == tokens("شبكة")


def test_arabic_letter_variants():
    assert tokens("أستطيع") == tokens("استطيع") == tokens("إستطيع") == tokens("آستطيع")
    assert tokens("على مستوى") == tokens("على مستوي")


def test_arabic_possessive_meets_the_noun():
    # بطاقتي "my card": the ة of بطاقة turned into ت before the pronoun.
    assert tokens("بطاقتي") == tokens("البطاقة")


def test_arabic_keeps_a_leading_letter_of_the_word():
    # ب of بطاقة is not a preposition: a full stemmer would strip it.
    assert tokens("بطاقة")[0].startswith("ب")


def test_chinese_two_character_words_are_pieces_of_the_sentence():
    sentence = tokens("我无法登录公司的VPN")
    assert "登录" in sentence
    assert "vpn" in sentence
    assert set(query_tokens("登录")) <= set(sentence)
    assert tokens("网") == ["网"]


def test_english_stemming_and_stop_words():
    assert tokens("Logging in") == tokens("logged") == ["log"]
    assert tokens("The connections failed") == ["connect", "fail"]
    assert tokens("CAFÉ") == tokens("cafe")


def test_compatibility_forms_and_digits():
    assert tokens("ﺃﺳﺘﻄﻴﻊ") == tokens("أستطيع")  # Arabic presentation forms
    assert tokens("Ｖｐｎ") == ["vpn"]  # full-width Latin
    assert tokens("٤٠٤") == tokens("404") == ["404"]


def test_index_text_is_space_separated_letters_and_digits():
    text = index_text('Can\'t log in: ‘VPN’ — 无法登录 (الشبكة) NOT NEAR "x" a_b')
    assert all(token.isalnum() for token in text.split(" "))


def test_query_tokens_are_distinct_and_bounded():
    assert query_tokens("vpn vpn VPN") == ["vpn"]
    assert len(query_tokens(" ".join(f"word{i}" for i in range(500)))) == 64


def test_detect_language():
    assert detect_language("لا أستطيع الدخول") == "ar"
    assert detect_language("我无法登录") == "zh"
    assert detect_language("I cannot log in") == "en"


def test_highlight_marks_the_words_that_matched():
    html = highlight("Logging into the <VPN> fails", query_tokens("log vpn"))
    assert html == "<mark>Logging</mark> into the &lt;<mark>VPN</mark>&gt; fails"
    assert "<mark>登录</mark>" in highlight("我无法登录公司", query_tokens("登录"))
    assert "<mark>الشبكة</mark>" in highlight("انقطعت الشبكة اليوم", query_tokens("شبكه"))
