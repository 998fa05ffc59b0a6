"""The language of a screen's words, among the languages evfault explains codes in.

py3langid ships its model inside the package (4 MB, nothing fetched); measured on short screen
texts it told all eight languages apart where lingua's low-accuracy mode, at 96 MB, missed two.
"""

from __future__ import annotations

import re
import threading
from typing import Any

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")
MIN_LETTERS = 8  # fewer letters than this say nothing reliable about a language
MIN_PROBABILITY = 0.6

_identifier: Any = None
_lock = threading.Lock()


def _model() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            found = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            found.set_languages(list(LANGUAGES))
            _identifier = found
        return _identifier


def words_only(text: str) -> str:
    """The text without codes and numbers, which belong to no language."""
    return " ".join(w for w in re.findall(r"[^\W\d_]{2,}", text) if not w.isupper() or len(w) > 3)


def detect(text: str) -> str | None:
    """The language of `text`, or None when it is too short or too mixed to tell."""
    words = words_only(text)
    if sum(ch.isalpha() for ch in words) < MIN_LETTERS:
        return None
    lang, probability = _model().classify(words)
    return str(lang) if float(probability) >= MIN_PROBABILITY else None
