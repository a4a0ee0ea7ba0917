"""Loading of the JSON data files that ship inside the package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_json(name: str) -> dict[str, Any]:
    """Return the parsed JSON data file ``name`` from ``kokemus/text/data``.

    Cached because the files are read-only package data and the analyser asks for them on
    every call path.
    """
    ref = resources.files("kokemus.text").joinpath("data", name)
    with ref.open("r", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data
