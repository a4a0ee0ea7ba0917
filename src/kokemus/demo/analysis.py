"""Analysing the story's generated comments at load, on the analyser's fast path.

The story writes its comments through the bulk path, which queues no analysis; in
production the worker's sweep analyses comments, but ``kokemus demo`` runs no worker. So
the demo step analyses them here, with the options the sweep uses (the organisation's
taxonomy and staff names, the survey's language) but without the embedding classifier
(``use_embeddings=False``: lexicon and theme model, thousands of comments a second, where
the embeddings manage about 70). Comments submitted afterwards go through the sweep.
"""

from __future__ import annotations

import time
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from kokemus.comments.analysis import analyse_texts, analysis_fields, taxonomy_for
from kokemus.comments.models import CommentAnalysis
from kokemus.responses.models import Answer

BATCH = 2_000


def analyse_story_comments(organisation_ids: list[int] | None = None, batch_size: int = BATCH,
                           stdout=None) -> dict:
    """Analyse every free-text answer (of the given organisations) that has no analysis yet,
    in batches written with ``bulk_create``. Returns ``{"comments": n, "seconds": s}``."""
    t0 = time.perf_counter()
    rows = (Answer.objects.filter(question_type="free_text", analysis__isnull=True)
            .exclude(text=""))
    if organisation_ids is not None:
        rows = rows.filter(organisation_id__in=organisation_ids)
    groups: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for pk, org_id, language, text in rows.order_by("pk").values_list(
            "pk", "organisation_id", "response__language", "text").iterator(chunk_size=5_000):
        groups[(org_id, language)].append((pk, text))
    done = 0
    taxonomies = {}
    for (org_id, language), group in groups.items():
        if org_id not in taxonomies:
            taxonomies[org_id] = taxonomy_for(org_id)
        for start in range(0, len(group), batch_size):
            chunk = group[start:start + batch_size]
            results = analyse_texts(org_id, language, [text for _pk, text in chunk],
                                    taxonomies[org_id], use_embeddings=False)
            now = timezone.now()
            # ignore_conflicts: a comment a worker analysed meanwhile keeps its analysis.
            with transaction.atomic():
                CommentAnalysis.objects.bulk_create(
                    [CommentAnalysis(organisation_id=org_id, answer_id=pk,
                                     **analysis_fields(result, now))
                     for (pk, _text), result in zip(chunk, results, strict=True)],
                    batch_size=batch_size, ignore_conflicts=True)
            done += len(chunk)
    seconds = time.perf_counter() - t0
    if stdout is not None:
        stdout.write(f"demo: analysed {done:,} comments (fast path) in {seconds:.1f} s\n")
    return {"comments": done, "seconds": round(seconds, 2)}
