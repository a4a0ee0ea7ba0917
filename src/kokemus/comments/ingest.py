"""What ``responses.actions.do_submit_response`` does with free text, in its transaction.

Redaction happens *before* the answer is stored, so unless the organisation chose to keep
raw comments, personal data never reaches the database. Staff names are looked for in the
raw text first, so praise can still reach the people it names.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.db import transaction

from kokemus.accounts.models import Membership, Organisation
from kokemus.text import redact

_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class OrgTextContext:
    keep_raw: bool
    staff_names: tuple[str, ...]
    # (membership id, compiled pattern of the person's names)
    matchers: tuple[tuple[int, re.Pattern], ...]


_contexts: dict[int, tuple[float, OrgTextContext]] = {}


def _name_pattern(names: list[str]) -> re.Pattern | None:
    parts = [re.escape(n.strip()) for n in names if len(n.strip()) >= 3]
    if not parts:
        return None
    # Whole words, and Finnish case endings after a name ("Annalle", "Mikolta") are allowed.
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?:\w{0,5})?(?!\w)", re.IGNORECASE)


def org_text_context(organisation_id: int) -> OrgTextContext:
    """Cached per process for a minute: names change rarely, comments arrive often."""
    now = time.monotonic()
    cached = _contexts.get(organisation_id)
    if cached and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    keep_raw = Organisation.objects.filter(pk=organisation_id).values_list(
        "keep_raw_comments", flat=True).first() or False
    names: list[str] = []
    matchers = []
    for m in Membership.objects.filter(organisation_id=organisation_id).select_related("user"):
        person = [m.user.full_name] if m.user.full_name else []
        person += [a.strip() for a in m.aliases.split(",") if a.strip()]
        if m.user.full_name:
            person.append(m.user.full_name.split()[0])  # first names are how customers say it
        names.extend(person)
        pattern = _name_pattern(person)
        if pattern is not None:
            matchers.append((m.pk, pattern))
    ctx = OrgTextContext(keep_raw, tuple(dict.fromkeys(names)), tuple(matchers))
    _contexts[organisation_id] = (now, ctx)
    return ctx


def forget_org_context(organisation_id: int | None = None) -> None:
    if organisation_id is None:
        _contexts.clear()
    else:
        _contexts.pop(organisation_id, None)


def prepare_free_text(organisation_id: int, answers: list) -> dict[int, list[int]]:
    """Redact free-text answers in place (unless raw text is kept) and return, per index in
    ``answers``, the membership ids of staff named in the raw text."""
    ctx = None
    mentions: dict[int, list[int]] = {}
    for i, answer in enumerate(answers):
        if answer.question_type != "free_text" or not answer.text:
            continue
        ctx = ctx or org_text_context(organisation_id)
        named = [mid for mid, pattern in ctx.matchers if pattern.search(answer.text)]
        if named:
            mentions[i] = named
        if not ctx.keep_raw:
            answer.text = redact(answer.text, ctx.staff_names)
    return mentions


def after_answers_stored(response, answers: list, mentions: dict[int, list[int]]) -> None:
    from kokemus.comments.models import StaffMention

    rows = [StaffMention(organisation_id=response.organisation_id, answer=answers[i],
                         membership_id=mid)
            for i, mids in mentions.items() for mid in mids]
    if rows:
        StaffMention.objects.bulk_create(rows)
    text_ids = [a.pk for a in answers if a.question_type == "free_text" and a.text]
    if text_ids:
        from kokemus.comments.tasks import analyse_answers

        transaction.on_commit(lambda: analyse_answers.enqueue(text_ids))
