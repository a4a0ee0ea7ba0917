"""Background tasks (run by `kokemus worker`)."""

from django_tasks import task

from kokemus.comments.analysis import analyse_answer_ids, analyse_pending_batch


@task()
def analyse_answers(answer_ids: list[int]) -> int:
    return analyse_answer_ids(answer_ids)


@task()
def reanalyse_organisation(organisation_id: int) -> int:
    """Re-run the analysis of every comment after the organisation edits its themes."""
    from kokemus.responses.models import Answer

    ids = list(Answer.objects.filter(organisation_id=organisation_id, question_type="free_text")
               .exclude(text="").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), 500):
        done += analyse_answer_ids(ids[start:start + 500])
    return done


@task()
def analyse_pending() -> int:
    """Analyse every comment still pending (the sweep queued by ingestion)."""
    done = 0
    while True:
        n = analyse_pending_batch(500)
        done += n
        if n < 500:
            return done
