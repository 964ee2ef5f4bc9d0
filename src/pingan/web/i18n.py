"""Page languages: Chinese (default) and English, from JSON message catalogs; the choice lives in a cookie."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "pingan_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
CATALOG_DIR = Path(__file__).parent / "locales"

Translator = Callable[..., str]


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> dict[str, str]:
    """The messages of one language (key → text)."""
    data: dict[str, str] = json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def normalise_lang(value: str | None) -> str:
    """A supported language code; anything else falls back to Chinese."""
    value = (value or "").lower()
    if value.startswith("en"):
        return "en"
    return DEFAULT_LANG


def translator(lang: str) -> Translator:
    """``_(key, **values)`` for one language; a missing key shows itself so it is noticed in tests."""
    messages = catalog(normalise_lang(lang))

    def _(key: str, **values: Any) -> str:
        text = messages.get(key, key)
        return text.format(**values) if values else text

    return _


def messages_with_prefix(lang: str, *prefixes: str) -> dict[str, str]:
    """The messages whose keys start with one of ``prefixes`` (handed to our scripts as JSON)."""
    return {k: v for k, v in catalog(normalise_lang(lang)).items() if k.startswith(prefixes)}
