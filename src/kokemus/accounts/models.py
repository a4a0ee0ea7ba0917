"""Organisations, their unit trees, people and their roles, and the audit log."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    PHARMACY = "pharmacy", _("Pharmacy")
    ONLINE_PHARMACY = "online_pharmacy", _("Online pharmacy")
    HOSPITAL_OUTPATIENT = "hospital_outpatient", _("Hospital outpatient clinic")
    CARE_HOME = "care_home", _("Care home")
    OTHER = "other", _("Other service")


class UnitKind(models.TextChoices):
    CHAIN = "chain", _("Chain")
    REGION = "region", _("Region")
    SITE = "site", _("Site")
    DEPARTMENT = "department", _("Department")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")


ROLE_RANK = {Role.STAFF: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_staff", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else self.email)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices,
                              default=Sector.OTHER)
    default_language = models.CharField(_("default language"), max_length=8, default="fi")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    keep_raw_comments = models.BooleanField(
        _("keep comments unredacted"), default=False,
        help_text=_("Off: personal data (identity codes, phone numbers, e-mail and street "
                    "addresses, names) is removed from comments before they are stored."))
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet["Unit"]):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def subtree(self, unit: Unit):
        """The unit and every unit below it (materialised-path prefix match)."""
        return self.filter(organisation_id=unit.organisation_id, path__startswith=unit.path)


class Unit(models.Model):
    """A node of an organisation's tree: chain → region → site → department.

    ``path`` is a materialised path ("00000001/00000007/") so that a subtree is
    one indexed prefix query, which every dashboard filter needs.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices,
                            default=UnitKind.SITE)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices,
                              default=Sector.OTHER)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    language = models.CharField(_("language"), max_length=8, default="fi")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["organisation", "path"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def is_descendant_of(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self):
        return self.filter(organisation__archived_at__isnull=True)


class Membership(models.Model):
    """A user's role in one organisation, optionally limited to a unit subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="memberships", verbose_name=_("unit scope"))
    aliases = models.CharField(_("other names used for this person"), max_length=300, blank=True)
    named_praise_opt_out = models.BooleanField(_("do not route praise that names me"),
                                               default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"],
                                               name="one_membership_per_org")]
        ordering = ["user__full_name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.role}"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]

    def visible_units(self):
        """Units this member may see: the whole organisation or the scope's subtree."""
        units = Unit.objects.filter(organisation_id=self.organisation_id)
        if self.role == Role.ADMIN or self.unit_id is None:
            return units
        return units.filter(path__startswith=self.unit.path)

    def can_see_unit(self, unit: Unit) -> bool:
        if unit.organisation_id != self.organisation_id:
            return False
        if self.role == Role.ADMIN or self.unit_id is None:
            return True
        return unit.path.startswith(self.unit.path)

    def can_manage_unit(self, unit: Unit) -> bool:
        """Admins manage every unit; managers manage units inside their scope."""
        if not self.can_see_unit(unit):
            return False
        return self.has_role(Role.MANAGER)


class Invitation(models.Model):
    """A staff invitation by e-mail. Only a hash of the token is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                             verbose_name=_("unit scope"))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return (self.accepted_at is None and self.revoked_at is None
                and self.expires_at > timezone.now())


class AppendOnlyQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs):
        raise PermissionDenied("The audit log is append-only")

    def delete(self):
        raise PermissionDenied("The audit log is append-only")


class AuditLog(models.Model):
    """Append-only record of every change made through the product."""

    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The audit log is append-only")
