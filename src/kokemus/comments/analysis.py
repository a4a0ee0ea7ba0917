"""Analysing stored comments with the organisation's taxonomy."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from kokemus.comments.models import CommentAnalysis, OrganisationTaxonomy
from kokemus.text import Taxonomy, analyse_many


def taxonomy_for(organisation_id: int) -> Taxonomy:
    row = OrganisationTaxonomy.objects.filter(organisation_id=organisation_id).first()
    return Taxonomy.from_dict(row.data) if row else Taxonomy.default()


def analyse_texts(org_id: int, language: str, texts: list[str], taxonomy: Taxonomy,
                  use_embeddings: bool = True) -> list:
    """Analyse comments of one organisation and survey language with its options.

    ``use_embeddings=False`` is the fast path (lexicon and theme model only), for bulk
    loads such as the demo's; the sweep uses the embedding classifier when installed.
    """
    from kokemus.comments.ingest import org_text_context

    ctx = org_text_context(org_id)
    # The survey's language is expected, but a comment clearly written in another of
    # fi/sv/en (a Swedish answer on a Finnish form) is analysed in its own.
    return analyse_many(texts, expected_language=language or None,
                        staff_names=ctx.staff_names, taxonomy=taxonomy,
                        use_embeddings=use_embeddings)


def analysis_fields(result, now=None) -> dict:
    """The :class:`CommentAnalysis` field values of one analyser result."""
    return {"language": result.language, "sentiment": result.sentiment,
            "score": round(result.score, 4),
            "themes": [{"key": t.key, "sentiment": t.sentiment, "score": round(t.score, 4)}
                       for t in result.themes],
            "redacted": result.redacted, "analysed_at": now or timezone.now()}


def analyse_answer_ids(answer_ids: list[int]) -> int:
    """(Re)analyse the given free-text answers; returns how many were analysed."""
    from kokemus.responses.models import Answer

    answers = list(Answer.objects.filter(pk__in=answer_ids, question_type="free_text")
                   .select_related("response"))
    # Comments of one organisation and survey language share their options, so they are
    # analysed together (analyse_many embeds them in batches: the same results, faster).
    groups: dict[tuple[int, str], list] = defaultdict(list)
    for answer in answers:
        groups[(answer.organisation_id, answer.response.language)].append(answer)
    taxonomies: dict[int, Taxonomy] = {}
    done = 0
    for (org_id, language), group in groups.items():
        if org_id not in taxonomies:
            taxonomies[org_id] = taxonomy_for(org_id)
        results = analyse_texts(org_id, language, [answer.text for answer in group],
                                taxonomies[org_id])
        for answer, result in zip(group, results, strict=True):
            _save(answer, org_id, result)
            done += 1
    return done


def _save(answer, org_id: int, result) -> None:
    with transaction.atomic():
        CommentAnalysis.objects.update_or_create(
            answer=answer,
            defaults={"organisation_id": org_id, **analysis_fields(result)})


def analyse_pending_batch(limit: int = 500) -> int:
    """Analyse up to ``limit`` pending comments; returns how many were done."""
    from kokemus.comments.models import PENDING

    ids = list(CommentAnalysis.objects.filter(sentiment=PENDING).order_by("pk")
               .values_list("answer_id", flat=True)[:limit])
    return analyse_answer_ids(ids) if ids else 0


def display_text(answer) -> str:
    """The text the UI shows for a comment: always the redacted form."""
    try:
        return answer.analysis.redacted
    except CommentAnalysis.DoesNotExist:
        pass
    from kokemus.comments.ingest import org_text_context
    from kokemus.text import redact

    return redact(answer.text, org_text_context(answer.organisation_id).staff_names)
