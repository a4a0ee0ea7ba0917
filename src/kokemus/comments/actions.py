"""Editing an organisation's themes: add, rename (relabel), merge. Audited; past comments
are re-analysed in the background so dashboards follow the new taxonomy."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation
from kokemus.comments.analysis import taxonomy_for
from kokemus.comments.models import OrganisationTaxonomy
from kokemus.text import Taxonomy

LANGS = ("fi", "sv", "en")


def _save(actor: Actor, org: Organisation, taxonomy: Taxonomy, action: str,
          changes: dict) -> None:
    row, _created = OrganisationTaxonomy.objects.get_or_create(
        organisation=org, defaults={"data": taxonomy.to_dict()})
    row.data = taxonomy.to_dict()
    row.updated_at = timezone.now()
    row.save(update_fields=["data", "updated_at"])
    record(actor, action, row, organisation=org, changes=changes)

    def reanalyse():
        from kokemus.comments.tasks import reanalyse_organisation

        reanalyse_organisation.enqueue(org.pk)

    transaction.on_commit(reanalyse)


def _terms(raw: dict[str, str | list[str]]) -> dict[str, list[str]]:
    out = {}
    for lang in LANGS:
        value = raw.get(lang) or []
        words = value if isinstance(value, list) else re.split(r"[,\n]", value)
        words = [w.strip().lower() for w in words if w.strip()]
        if words:
            out[lang] = list(dict.fromkeys(words))
    return out


def _labels(raw: dict[str, str]) -> dict[str, str]:
    return {lang: raw[lang].strip() for lang in LANGS if (raw.get(lang) or "").strip()}


@transaction.atomic
def do_add_theme(actor: Actor, org: Organisation, *, key: str, label: dict[str, str],
                 terms: dict[str, str | list[str]]) -> None:
    key = (key or "").strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", key):
        raise ValidationError({"key": _("Use 2–40 lower-case letters, digits or _ .")})
    taxonomy = taxonomy_for(org.pk)
    if key in taxonomy:
        raise ValidationError({"key": _("A theme with this key already exists.")})
    labels, words = _labels(label), _terms(terms)
    if not labels:
        raise ValidationError({"label_fi": _("Give the theme a name.")})
    if not words:
        raise ValidationError({"terms_fi": _("Give at least one word that signals the theme.")})
    taxonomy = taxonomy.with_overrides({key: {"label": labels, "terms": words}})
    _save(actor, org, taxonomy, "theme.add", {"key": key, "label": labels, "terms": words})


@transaction.atomic
def do_rename_theme(actor: Actor, org: Organisation, *, key: str,
                    label: dict[str, str]) -> None:
    taxonomy = taxonomy_for(org.pk)
    if key not in taxonomy:
        raise ValidationError({"key": _("Unknown theme.")})
    labels = _labels(label)
    if not labels:
        raise ValidationError({"label_fi": _("Give the theme a name.")})
    before = dict(taxonomy[key].label)
    taxonomy = taxonomy.rename(key, key, label=labels)
    _save(actor, org, taxonomy, "theme.rename", {"key": key, "label": [before, labels]})


@transaction.atomic
def do_merge_themes(actor: Actor, org: Organisation, *, source: str, target: str) -> None:
    """Fold ``source`` into ``target``: its words now signal ``target``; it disappears."""
    taxonomy = taxonomy_for(org.pk)
    if source not in taxonomy or target not in taxonomy:
        raise ValidationError({"source": _("Unknown theme.")})
    if source == target:
        raise ValidationError({"target": _("Choose two different themes.")})
    taxonomy = taxonomy.merge(target, source, into=target)
    _save(actor, org, taxonomy, "theme.merge", {"source": source, "target": target})
