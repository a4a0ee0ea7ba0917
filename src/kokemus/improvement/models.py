"""Follow-up cases, praise, the idea board and improvement actions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokemus.accounts.models import Membership, Organisation, Unit, User
from kokemus.journeys.models import Touchpoint


class FollowUpSettings(models.Model):
    """An organisation's follow-up rule (absent = the defaults)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="followup_settings")
    due_working_days = models.PositiveSmallIntegerField(
        _("working days to contact"), default=2,
        help_text=_("Monday to Friday; weekends are skipped."))
    retention_days = models.PositiveSmallIntegerField(
        _("days contact details are kept after closing"), default=30)

    def __str__(self) -> str:
        return f"follow-up settings of {self.organisation_id}"


class CaseReason(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor (NPS 0–6)")
    LOW_CSAT = "low_csat", _("Low satisfaction (CSAT 1–2)")
    POOR_FFT = "poor_fft", _("Poor experience (FFT)")
    LOW_SMILEY = "low_smiley", _("Unhappy face")
    COMPLAINT = "complaint", _("Complaint in a comment")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Contacted")
    RESOLVED = "resolved", _("Resolved")
    COULD_NOT_REACH = "could_not_reach", _("Could not reach")


CLOSED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.COULD_NOT_REACH)


class FollowUpCase(models.Model):
    """A customer who was unhappy and agreed to be contacted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    # No database FK: responses are partitioned on PostgreSQL (their unique key is
    # (id, submitted_at)); Django applies SET_NULL, retention drops clear it first.
    response = models.OneToOneField("responses.Response", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="followup_case",
                                    db_constraint=False)
    reason = models.CharField(_("reason"), max_length=16, choices=CaseReason.choices)
    score = models.IntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices,
                              default=CaseStatus.OPEN)
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("assigned to"))
    due_date = models.DateField(_("due"))
    contact = models.TextField(blank=True)  # copy of Response.contact; erased after retention
    contact_erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["organisation", "status", "due_date"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.unit} {self.reason}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return not self.is_closed and self.due_date < today


class CaseNote(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(FollowUpCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on #{self.case_id}"


class CaseReminder(models.Model):
    """A reminder or escalation already sent (one per case and kind: sending is idempotent)."""

    DUE_TOMORROW = "due_tomorrow"
    OVERDUE = "overdue"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(FollowUpCase, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16)
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"],
                                               name="one_reminder_per_case_kind")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.case_id}"


class Praise(models.Model):
    """A positive comment that names a member of staff, routed to them and their manager."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)  # answers are partitioned
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="praise")
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["answer", "membership"],
                                               name="one_praise_per_answer_member")]

    def __str__(self) -> str:
        return f"praise {self.answer_id} → {self.membership_id}"


class IdeaStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    IN_ACTION = "in_action", _("In action")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


# Allowed moves on the idea board (a manager decides).
IDEA_FLOW = {
    IdeaStatus.NEW: (IdeaStatus.UNDER_REVIEW, IdeaStatus.DECLINED),
    IdeaStatus.UNDER_REVIEW: (IdeaStatus.ACCEPTED, IdeaStatus.DECLINED),
    IdeaStatus.ACCEPTED: (IdeaStatus.IN_ACTION, IdeaStatus.DECLINED),
    IdeaStatus.IN_ACTION: (IdeaStatus.DONE,),
    IdeaStatus.DONE: (),
    IdeaStatus.DECLINED: (),
}


class Idea(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("unit"))
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("touchpoint"))
    theme = models.CharField(_("theme"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=IdeaStatus.choices,
                              default=IdeaStatus.NEW)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class IdeaComment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.idea_id}"


class IdeaVote(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"],
                                               name="one_vote_per_idea_user")]

    def __str__(self) -> str:
        return f"vote {self.idea_id} by {self.user_id}"


class TargetMetric(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT top-2-box")
    FFT = "fft", _("FFT % positive")
    SMILEY = "smiley", _("Smiley % positive")


class ImprovementAction(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    units = models.ManyToManyField(Unit, related_name="+", verbose_name=_("units"))
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("touchpoint"))
    start_date = models.DateField(_("start date"))
    target_metric = models.CharField(_("target metric"), max_length=8,
                                     choices=TargetMetric.choices, default=TargetMetric.NPS)
    expected_effect = models.FloatField(
        _("expected effect"), default=5.0,
        help_text=_("In NPS points, or percentage points for the other metrics."))
    ideas = models.ManyToManyField(Idea, blank=True, related_name="actions",
                                   verbose_name=_("ideas"))
    themes = models.JSONField(_("comment themes"), default=list, blank=True)
    goal = models.ForeignKey("goals.Goal", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("goal"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title
