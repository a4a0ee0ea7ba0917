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


def pending_comments(organisation_id: int, answers: list) -> list[tuple[object, str]]:
    """The answers (after :func:`prepare_free_text`) that get a pending analysis, each with
    the redacted text the analysis holds."""
    comments = [a for a in answers if a.question_type == "free_text" and a.text]
    if not comments:
        return []
    ctx = org_text_context(organisation_id)
    return [(a, redact(a.text, ctx.staff_names) if ctx.keep_raw else a.text) for a in comments]


def after_answers_stored(response, answers: list, mentions: dict[int, list[int]]) -> None:
    """Record staff mentions and a *pending* analysis per comment, in the same transaction.

    The pending row already holds the redacted text, so the UI never needs the raw text;
    the background sweep fills in language, sentiment and themes.
    """
    after_answers_stored_many([(response, answers, mentions)])


def after_answers_stored_many(items: list[tuple[object, list, dict[int, list[int]]]]) -> None:
    """:func:`after_answers_stored` for many responses at once (two bulk inserts)."""
    from kokemus.comments.models import PENDING, CommentAnalysis, StaffMention

    mention_rows, analyses = [], []
    for response, answers, mentions in items:
        mention_rows += [StaffMention(organisation_id=response.organisation_id,
                                      answer=answers[i], membership_id=mid)
                         for i, mids in mentions.items() for mid in mids]
        analyses += [
            CommentAnalysis(organisation_id=response.organisation_id, answer=a,
                            language=response.language, sentiment=PENDING, score=0.0,
                            redacted=redacted)
            for a, redacted in pending_comments(response.organisation_id, answers)]
    if mention_rows:
        StaffMention.objects.bulk_create(mention_rows)
    if analyses:
        CommentAnalysis.objects.bulk_create(analyses, batch_size=500)
        transaction.on_commit(schedule_sweep)


SWEEP_WINDOW_SECONDS = 2.0
_window_end = 0.0


def schedule_sweep() -> None:
    """Queue at most one analysis sweep per process per window, to run at the window's end.

    Any comment stored during a window is pending when that window's sweep runs, so each
    is analysed within about SWEEP_WINDOW_SECONDS, at the cost of one queued task per
    window instead of one per comment.
    """
    global _window_end
    now = time.monotonic()
    if now < _window_end:  # a sweep is queued for this window (only set when deferred)
        return
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import default_task_backend

    from kokemus.comments.tasks import analyse_pending

    if not default_task_backend.supports_defer:
        analyse_pending.enqueue()  # e.g. the immediate backend: nothing to batch
        return
    _window_end = now + SWEEP_WINDOW_SECONDS
    analyse_pending.using(
        run_after=timezone.now() + timedelta(seconds=SWEEP_WINDOW_SECONDS)).enqueue()
