"""Shared parts of the table builders (``diacritics_build``, ``spelling_build``): the
strings of the package's lexicons for a language, and writing a generated file or checking
that the shipped one is what the builder gives."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._data import load_json


def strings(value: Any) -> Iterable[str]:
    """Every string (keys included) in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def lexicon_strings(language: str, files: Sequence[str], theme_fields: Sequence[str]
                    ) -> list[str]:
    """The strings of ``language`` in the data ``files`` and in the ``theme_fields`` of
    every theme of ``themes.json``."""
    texts: list[str] = []
    for name in files:
        texts.extend(strings(load_json(name).get(language, {})))
    for theme in load_json("themes.json").values():
        if isinstance(theme, dict):
            for field in theme_fields:
                texts.extend(strings((theme.get(field) or {}).get(language, [])))
    return texts


def write_or_check(path: Path, text: str, command: str, check: bool) -> int:
    """Write ``text`` to ``path``, or with ``check`` compare it with the file there (exit
    status 1 and a message naming ``command`` when they differ)."""
    if check:
        current = path.read_text("utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run {command}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(text, "utf-8")
    return 0
