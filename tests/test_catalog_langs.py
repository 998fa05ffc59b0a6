"""Language tags: one resolution for the pages, the API and the command line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.catalog.langs import (
    match_language,
    negotiate,
    normalize_tag,
    parse_accept_language,
)

EIGHT = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("pt_br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        (" en-gb ", "en-GB"),
        ("", None),
        ("*", None),
        ("de;q=1", None),
        ("d", None),
        ("../../etc", None),
        ("x" * 40, None),
    ],
)
def test_tags_are_normalized_or_refused(raw: str, tag: str | None) -> None:
    assert normalize_tag(raw) == tag


@pytest.mark.parametrize(
    ("asked", "answer"),
    [
        ("de", "de"),
        ("de-AT", "de"),  # a region falls back to its language
        ("pt-BR", "pt"),
        ("PT_br", "pt"),
        ("fr-CA", "fr"),
        ("sv", None),
        ("klingon!", None),
        (None, None),
    ],
)
def test_a_tag_finds_the_closest_available_language(asked: str | None, answer: str | None) -> None:
    assert match_language(asked, EIGHT) == answer


def test_a_bare_language_finds_a_regional_variant() -> None:
    assert match_language("pt", ("en", "pt-BR", "pt-PT")) == "pt-BR"
    assert match_language("pt-PT", ("en", "pt-BR", "pt-PT")) == "pt-PT"


def test_accept_language_is_ordered_by_q_then_by_position() -> None:
    header = "fr;q=0.4, de-AT, de;q=0.9, *;q=0.1, en;q=0.9, it;q=0"
    assert parse_accept_language(header) == ["de-AT", "de", "en", "fr"]


def test_accept_language_ignores_what_is_not_a_language() -> None:
    assert parse_accept_language("de;q=abc, ;q=1, nl;q=2, pl") == ["pl"]
    assert parse_accept_language(None) == [] and parse_accept_language("") == []


def test_negotiation_takes_the_first_wish_that_fits() -> None:
    assert negotiate([None, "sv", "pt-BR", "de"], EIGHT) == "pt"
    assert negotiate(["sv"], EIGHT) is None


@given(st.text(max_size=300))
def test_any_header_parses_to_valid_tags(header: str) -> None:
    for tag in parse_accept_language(header):
        assert normalize_tag(tag) == tag
