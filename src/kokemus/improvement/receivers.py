"""Signal receivers, connected in ImprovementConfig.ready()."""

from __future__ import annotations


def on_response_submitted(sender, response, **kwargs) -> None:
    """Sent on commit of a new response: open a follow-up case when a rule is met."""
    from kokemus.improvement.actions import open_case_for_response

    open_case_for_response(response)


def on_comment_analysed(sender, instance, raw=False, **kwargs) -> None:
    """A comment's analysis was saved (background task): complaints and praise."""
    from kokemus.improvement.actions import maybe_open_case_for_comment, maybe_route_praise

    if raw:
        return
    maybe_open_case_for_comment(instance)
    maybe_route_praise(instance)
