"""JSON export/import of a journey: the format is :func:`actions.journey_snapshot`.

:func:`validate_journey_data` checks an uploaded document and returns messages that name
the path of each bad element, e.g. ``stages[2].touchpoints[0].name: required``.
"""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext as _

from kokemus.journeys.i18n import LANGUAGES
from kokemus.journeys.models import Channel

FORMAT = "kokemus.journey/1"
KEY_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
MAX_ERRORS = 20


def parse_json(raw: bytes) -> object:
    """Decode an uploaded file; ValueError with a readable message when it is not JSON."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(_("The file is not UTF-8 text.")) from None
    except json.JSONDecodeError as exc:
        raise ValueError(_("The file is not valid JSON (line %(line)s, column %(col)s).")
                         % {"line": exc.lineno, "col": exc.colno}) from None


def _text(errors: list[str], path: str, value, *, required: bool) -> None:
    if value is None or value == "" or value == {}:
        if required:
            errors.append(_("%(path)s: required") % {"path": path})
        return
    if isinstance(value, str):
        return
    if not isinstance(value, dict):
        errors.append(_("%(path)s: must be an object with fi, sv and en texts") % {"path": path})
        return
    for lang, text in value.items():
        if lang not in LANGUAGES:
            errors.append(_("%(path)s.%(lang)s: unknown language (use fi, sv or en)")
                          % {"path": path, "lang": lang})
        elif not isinstance(text, str):
            errors.append(_("%(path)s.%(lang)s: must be text") % {"path": path, "lang": lang})
    if required and not any(isinstance(t, str) and t.strip() for t in value.values()):
        errors.append(_("%(path)s: required") % {"path": path})


def _key(errors: list[str], path: str, value) -> None:
    if value in (None, ""):
        errors.append(_("%(path)s: required") % {"path": path})
    elif not isinstance(value, str) or not KEY_RE.match(value):
        errors.append(_("%(path)s: use letters, digits, - and _ only") % {"path": path})


def _flag(errors: list[str], path: str, value) -> None:
    if value is not None and not isinstance(value, bool):
        errors.append(_("%(path)s: must be true or false") % {"path": path})


def validate_journey_data(data) -> list[str]:
    """Every problem in an export document, each prefixed with the element's path."""
    errors: list[str] = []
    if not isinstance(data, dict):
        return [_("The file must contain one journey object.")]
    fmt = data.get("format")
    if fmt is not None and fmt != FORMAT:
        errors.append(_("format: expected “%(expected)s”") % {"expected": FORMAT})
    _text(errors, "name", data.get("name"), required=True)
    _text(errors, "persona", data.get("persona"), required=False)
    _text(errors, "description", data.get("description"), required=False)
    if "template_key" in data and not isinstance(data["template_key"], str):
        errors.append(_("%(path)s: must be text") % {"path": "template_key"})
    stages = data.get("stages")
    if not isinstance(stages, list):
        errors.append(_("stages: required (a list of stages)"))
        return errors
    stage_keys: set[str] = set()
    tp_keys: set[str] = set()
    for i, stage in enumerate(stages):
        path = f"stages[{i}]"
        if not isinstance(stage, dict):
            errors.append(_("%(path)s: must be an object") % {"path": path})
            continue
        _key(errors, f"{path}.key", stage.get("key"))
        if isinstance(stage.get("key"), str):
            if stage["key"] in stage_keys:
                errors.append(_("%(path)s: “%(key)s” is used twice")
                              % {"path": f"{path}.key", "key": stage["key"]})
            stage_keys.add(stage["key"])
        _text(errors, f"{path}.name", stage.get("name"), required=True)
        _flag(errors, f"{path}.archived", stage.get("archived"))
        tps = stage.get("touchpoints", [])
        if not isinstance(tps, list):
            errors.append(_("%(path)s: must be a list") % {"path": f"{path}.touchpoints"})
            continue
        for j, tp in enumerate(tps):
            tpath = f"{path}.touchpoints[{j}]"
            if not isinstance(tp, dict):
                errors.append(_("%(path)s: must be an object") % {"path": tpath})
                continue
            _key(errors, f"{tpath}.key", tp.get("key"))
            if isinstance(tp.get("key"), str):
                if tp["key"] in tp_keys:
                    errors.append(_("%(path)s: “%(key)s” is used twice")
                                  % {"path": f"{tpath}.key", "key": tp["key"]})
                tp_keys.add(tp["key"])
            _text(errors, f"{tpath}.name", tp.get("name"), required=True)
            _text(errors, f"{tpath}.description", tp.get("description"), required=False)
            _text(errors, f"{tpath}.owner_role", tp.get("owner_role"), required=False)
            channel = tp.get("channel", Channel.PHYSICAL)
            if channel not in Channel.values:
                errors.append(_("%(path)s: must be physical, digital or phone")
                              % {"path": f"{tpath}.channel"})
            _flag(errors, f"{tpath}.moment_that_matters", tp.get("moment_that_matters"))
            _flag(errors, f"{tpath}.archived", tp.get("archived"))
        if len(errors) >= MAX_ERRORS:
            break
    return errors[:MAX_ERRORS]


def export_filename(journey) -> str:
    from django.utils.text import slugify

    from kokemus.journeys.i18n import pick

    return f"journey-{slugify(pick(journey.name, 'en')) or journey.pk}.json"
