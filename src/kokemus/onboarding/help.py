"""Contextual help texts (product content in fi/sv/en) from ``help.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from kokemus.journeys.i18n import pick

HELP_FILE = Path(__file__).with_name("help.yaml")


@cache
def load_help() -> dict[str, dict]:
    return yaml.safe_load(HELP_FILE.read_text(encoding="utf-8"))


def help_keys() -> list[str]:
    return list(load_help())


def help_text(key: str, language: str | None) -> dict | None:
    """``{"title", "body"}`` in ``language`` (falling back to the others), or None."""
    entry = load_help().get(key)
    if entry is None:
        return None
    return {"title": pick(entry["title"], language), "body": pick(entry["body"], language)}
