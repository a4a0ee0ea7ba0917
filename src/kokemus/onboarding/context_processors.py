"""The onboarding checklist's context: also usable as a context processor
(``kokemus.onboarding.context_processors.onboarding``) if settings ever list it."""

from __future__ import annotations

from kokemus.accounts.models import Role
from kokemus.onboarding.models import OnboardingProgress, StepState
from kokemus.onboarding.steps import STEPS


def checklist_context(org, membership) -> dict:
    """``onboarding_steps`` while an admin's organisation has onboarding left to do."""
    if org is None or membership is None or not membership.has_role(Role.ADMIN):
        return {}
    progress = OnboardingProgress.objects.filter(organisation=org).first()
    if progress is None or progress.is_complete:
        return {}
    steps = [{"step": s, "state": progress.state(s.key)} for s in STEPS]
    done = sum(1 for s in steps if s["state"] != StepState.TODO)
    return {"onboarding_org": org, "onboarding_steps": steps, "onboarding_done": done,
            "onboarding_total": len(steps)}


def onboarding(request) -> dict:
    return checklist_context(getattr(request, "org", None), getattr(request, "membership", None))
