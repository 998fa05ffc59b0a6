"""Driver pages in the driver's language: negotiation, the picker's cookie, every UI string."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from evfault.catalog import Catalog, schema
from evfault.catalog.loader import data_files, load_all
from evfault.web.app import create_app
from evfault.web.i18n import (
    COOKIE,
    STRINGS_DIR,
    StringsError,
    load_strings,
    picker_links,
    placeholders,
    read_strings,
    safety_line,
)
from test_web_pages import section, text_of
from test_web_support import client_for, services_for, start_store

STRINGS = load_strings()
EIGHT = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")

# The reviewed translations of the safety action: the page must say exactly this. Changing one
# means changing it here too, which is the review.
SAFETY_ACTIONS = {
    "en": "stop charging, step away",
    "de": "beenden Sie den Ladevorgang, treten Sie zurück",
    "fr": "arrêtez la charge, éloignez-vous",
    "es": "detenga la carga, aléjese",
    "it": "interrompa la ricarica, si allontani",
    "nl": "stop met laden, ga uit de buurt",
    "pt": "pare o carregamento, afaste-se",
    "pl": "przerwij ładowanie, odsuń się",
}
# The German title of F001, to see which language a page came in.
F001_TITLE = {"en": "Proximity voltage too low", "de": "Proximity-Spannung zu niedrig"}


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = await start_store(sqlite_url)
    async with client_for(create_app(services_for(store))) as client:
        yield client
    await store.close()


async def help_page(
    client: httpx.AsyncClient, url: str, status: int = 200, **headers: str
) -> httpx.Response:
    client.cookies.clear()
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    response = await client.get(url, headers={"accept": "text/html", **sent})
    assert response.status_code == status, response.text[:300]
    return response


def html_lang(response: httpx.Response) -> str:
    found = re.search(r'<html lang="([^"]+)">', response.text)
    assert found is not None
    return found.group(1)


# ---- the UI strings themselves --------------------------------------------------------------


def test_the_pages_speak_all_eight_languages() -> None:
    assert set(STRINGS.languages) == set(EIGHT)
    names = {lang: STRINGS.words[lang].name for lang in EIGHT}
    assert names["de"] == "Deutsch" and names["pl"] == "Polski" and names["fr"] == "Français"


@pytest.mark.parametrize("lang", EIGHT[1:])
def test_every_language_has_every_key_and_its_placeholders(lang: str) -> None:
    english, words = STRINGS.words["en"].messages, STRINGS.words[lang].messages
    assert sorted(set(english) - set(words)) == [], "missing keys"
    assert sorted(set(words) - set(english)) == [], "keys English does not have"
    for key, text in english.items():
        assert words[key].strip(), key
        assert placeholders(words[key]) == placeholders(text), key


@pytest.mark.parametrize("lang", EIGHT[1:])
def test_no_ui_string_is_left_in_english(lang: str) -> None:
    words = STRINGS.words[lang]
    english = words.fallback
    same = {k for k, v in words.messages.items() if v == english[k]}
    untranslated = {k for k in same if not schema.may_stay_english(english[k])}
    assert untranslated <= words.same_as_english, "still English"
    assert words.same_as_english <= same, "listed as same as English but translated"


@pytest.mark.parametrize("lang", EIGHT)
def test_the_safety_line_says_exactly_the_reviewed_action(lang: str) -> None:
    words = STRINGS.words[lang]
    assert words("safety.action") == SAFETY_ACTIONS[lang]
    assert SAFETY_ACTIONS[lang] in safety_line(words)


def test_a_yaml_boolean_in_a_strings_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "xx.yaml"
    path.write_text("lang: xx\nname: X\nstrings:\n  detail:\n    no: no\n", encoding="utf-8")
    with pytest.raises(StringsError, match=r"xx\.yaml: detail\.False must be text|must be text"):
        read_strings(path)


# ---- choosing the language --------------------------------------------------------------------


@pytest.mark.parametrize("lang", EIGHT)
async def test_each_language_by_query(client: httpx.AsyncClient, lang: str) -> None:
    response = await help_page(client, f"/help/evgo-mrec/F001?lang={lang}")
    assert html_lang(response) == lang
    assert response.headers["content-language"] == lang
    words = text_of(response.text)
    assert STRINGS.words[lang]("code.now") in words
    assert SAFETY_ACTIONS[lang] in text_of(section(response.text, "safety"))
    if lang in F001_TITLE:
        assert F001_TITLE[lang] in words


async def test_german_page_is_german_throughout(client: httpx.AsyncClient) -> None:
    response = await help_page(client, "/help/evgo-mrec/F001?lang=de")
    words = text_of(response.text)
    for german in ("Sehen Sie das gerade an der Ladesäule?", "Was Sie danach tun können",
                   "Technische Angaben", "Verwandte Codes", "Für den Betreiber", "kritisch",
                   "Proximity-Spannung", "Ladebuchse", "Stecker", "Sicherheit"):
        assert german in words, german
    assert 'id="fallback-note"' not in response.text
    assert "Languages:" not in words and "What to do next" not in words


async def test_a_query_choice_sets_the_pickers_cookie(client: httpx.AsyncClient) -> None:
    response = await help_page(client, "/help/evgo-mrec/F001?lang=de-AT")
    assert html_lang(response) == "de"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=de;") and "samesite=lax" in cookie.lower()
    assert "Accept-Language" in response.headers["vary"]


async def test_the_cookie_chooses_when_the_query_does_not(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE, "pl")
    response = await client.get("/help/evgo-mrec/F001", headers={"accept-language": "fr"})
    assert html_lang(response) == "pl"
    assert "set-cookie" not in response.headers  # nothing new to remember


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("de-AT,de;q=0.9,en;q=0.5", "de"),
        ("pt-BR", "pt"),
        ("fr-CH, fr;q=0.9", "fr"),
        ("en;q=0.1, pl;q=0.9", "pl"),
        ("sv-SE, nl;q=0.3", "nl"),
        ("sv, ja", "en"),
        ("", "en"),
    ],
)
async def test_accept_language_with_q_values_and_regions(
    client: httpx.AsyncClient, header: str, lang: str
) -> None:
    response = await help_page(client, "/help/evgo-mrec/F001", accept_language=header)
    assert html_lang(response) == lang


async def test_query_beats_cookie_beats_accept_language(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE, "de")
    headers = {"accept-language": "fr"}
    assert html_lang(await client.get("/help?lang=it", headers=headers)) == "it"
    client.cookies.clear()
    client.cookies.set(COOKIE, "de")
    assert html_lang(await client.get("/help", headers=headers)) == "de"
    client.cookies.clear()
    client.cookies.set(COOKIE, "xx")  # a cookie no language answers is passed over
    assert html_lang(await client.get("/help?lang=klingon", headers=headers)) == "fr"


async def test_the_picker_links_every_language_by_its_own_name(
    client: httpx.AsyncClient,
) -> None:
    response = await help_page(client, "/help/evgo-mrec/F001?lang=nl")
    picker = response.text[response.text.index('id="lang-picker"'):]
    picker = picker[: picker.index("</details>")]
    for lang in EIGHT:
        name = STRINGS.words[lang].name
        assert f'hreflang="{lang}" lang="{lang}"' in picker
        assert name in picker
    assert 'href="/help/evgo-mrec/F001?lang=de"' in picker
    assert re.search(r'aria-current="true">Nederlands<', picker)


async def test_a_missing_translation_is_shown_in_english_and_says_so(
    sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(data_files()[0].parent, folder)
    shutil.rmtree(folder / "text" / "de")
    store = await start_store(sqlite_url)
    services = dataclasses.replace(
        services_for(store), catalog=Catalog(*load_all(sorted(folder.glob("*.yaml"))))
    )
    async with client_for(create_app(services)) as client:
        response = await help_page(client, "/help/evgo-mrec/F001?lang=de")
    await store.close()
    assert html_lang(response) == "de"  # the page's own words are German
    assert '<article class="code-page" lang="en">' in response.text
    assert "Proximity voltage too low" in response.text
    assert STRINGS.words["de"]("code.fallback_note") in text_of(response.text)


# ---- pages a driver meets when something is not found ----------------------------------------


async def test_an_unknown_code_speaks_to_the_driver(client: httpx.AsyncClient) -> None:
    response = await help_page(client, "/help/evgo-mrec/F999?lang=de", 404)
    words = text_of(response.text)
    assert "Den Code F999 kennen wir noch nicht" in words
    assert "Rufen Sie die Nummer auf der Ladesäule an" in words
    assert SAFETY_ACTIONS["de"] in words
    assert "/api/" not in words and "api/v1" not in response.text.split("<main", 1)[1]


async def test_an_unknown_scheme_is_an_unknown_code_too(client: httpx.AsyncClient) -> None:
    response = await help_page(client, "/help/acme/E01", 404, accept_language="fr")
    assert "Nous ne connaissons pas encore le code E01" in text_of(response.text)


async def test_no_match_in_a_search_gives_the_same_advice(client: httpx.AsyncClient) -> None:
    response = await help_page(client, "/help?q=zzzqqq&lang=es")
    words = text_of(response.text)
    assert "Nada coincide con «zzzqqq»" in words
    assert "Qué puede hacer de todos modos" in words


async def test_a_page_that_does_not_exist_is_in_the_readers_language(
    client: httpx.AsyncClient,
) -> None:
    response = await help_page(client, "/no/such/page", 404, accept_language="it-IT")
    assert html_lang(response) == "it"
    assert "Pagina non trovata" in text_of(response.text)
    assert "/docs" not in text_of(response.text.split("<main", 1)[1])


def test_the_picker_never_links_off_the_site() -> None:
    """A 404 for `//evil.example/x` lists languages; none of its links may leave the site."""
    scope = {
        "type": "http", "method": "GET", "scheme": "http", "server": ("testserver", 80),
        "path": "//evil.example/x", "raw_path": b"//evil.example/x", "root_path": "",
        "query_string": b"q=1", "headers": [(b"host", b"testserver")], "app": Starlette(),
    }
    links = picker_links(Request(scope), "de")
    assert [link["href"] for link in links][:2] == [
        "/evil.example/x?q=1&lang=en", "/evil.example/x?q=1&lang=de"]
    assert [link["current"] for link in links].count(True) == 1


# ---- the API speaks the same languages ---------------------------------------------------------


async def test_the_api_answers_in_the_language_asked_for(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    body = (await client.get("/api/v1/codes/evgo-mrec/F001?lang=de-AT")).json()
    assert body["lang"] == "de" and body["title"] == F001_TITLE["de"]
    assert SAFETY_ACTIONS["de"] in body["safety"]
    related = {r["code"]: r for r in body["related"]}
    assert related["CX023"]["relation"] == "equivalent"
    assert related["CX023"]["relation_text"] == "derselbe Fehler in einem anderen Code-System"
    by_header = await client.get("/api/v1/codes/evgo-mrec/F001",
                                 headers={"accept-language": "de-CH, en;q=0.5"})
    assert by_header.json()["lang"] == "de"


async def test_the_api_searches_words_in_the_language_asked_for(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/v1/codes?q=Erdschluss&lang=de")).json()
    assert body["lang"] == "de"
    assert body["codes"][0]["code"] == "GroundFailure"
    assert body["codes"][0]["title"] == "Erdschluss erkannt"


# ---- a ninth language is data -------------------------------------------------------------------


async def test_a_ninth_language_is_served_without_code(sqlite_url: str, tmp_path: Path) -> None:
    """Swedish: a folder of catalog texts and one UI-strings file, copied beside the others."""
    data = tmp_path / "data"
    shutil.copytree(data_files()[0].parent, data)
    (data / "text" / "sv").mkdir()
    (data / "text" / "sv" / "evgo_mrec.yaml").write_text(
        "lang: sv\nscheme: evgo-mrec\nentries:\n"
        "  F001:\n    title: För låg proximity-spänning\n"
        "    summary: Laddningen stoppades eftersom kontaktens signal var för låg.\n",
        encoding="utf-8",
    )
    strings = tmp_path / "strings"
    shutil.copytree(STRINGS_DIR, strings)
    swedish = (strings / "en.yaml").read_text(encoding="utf-8")
    swedish = swedish.replace("lang: en", "lang: sv").replace("name: English", "name: Svenska")
    swedish = swedish.replace("What to do next", "Vad du gör sedan")
    (strings / "sv.yaml").write_text(swedish, encoding="utf-8")

    store = await start_store(sqlite_url)
    services = dataclasses.replace(
        services_for(store), catalog=Catalog(*load_all(sorted(data.glob("*.yaml"))))
    )
    app = create_app(services)
    app.state.ui_strings = load_strings(strings)
    async with client_for(app) as client:
        by_query = await help_page(client, "/help/evgo-mrec/F001?lang=sv")
        by_header = await help_page(client, "/help/evgo-mrec/F001", accept_language="sv-SE")
    await store.close()
    for response in (by_query, by_header):
        assert html_lang(response) == "sv"
        words = text_of(response.text)
        assert "För låg proximity-spänning" in words and "Vad du gör sedan" in words
        assert "Svenska" in response.text
