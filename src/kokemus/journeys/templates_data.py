"""Sector journey templates shipped as YAML in ``sector_templates/`` (fi/sv/en)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

TEMPLATE_DIR = Path(__file__).resolve().parent / "sector_templates"
SECTOR_DEFAULT_TEMPLATE = {
    "pharmacy": "community_pharmacy",
    "online_pharmacy": "online_pharmacy",
    "hospital_outpatient": "hospital_outpatient",
    "care_home": "care_home",
    "other": "generic_service",
}


@cache
def load_templates() -> dict[str, dict]:
    """All templates by key, in a stable order (pharmacy first, generic last)."""
    order = list(SECTOR_DEFAULT_TEMPLATE.values())
    found = {}
    for path in sorted(TEMPLATE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[data["key"]] = data
    return {k: found[k] for k in sorted(found, key=lambda k: (order.index(k)
                                                               if k in order else 99, k))}


def get_template(key: str) -> dict:
    try:
        return load_templates()[key]
    except KeyError:
        raise KeyError(f"unknown journey template {key!r}") from None
