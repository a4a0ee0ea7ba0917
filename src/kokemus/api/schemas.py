"""Request and response schemas of the REST API (pydantic via django-ninja)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

MAX_ID = 2**53  # ids beyond this cannot exist (and would overflow the database)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Language = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[a-z]{2}$")]
SafeText = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")]
Key = Annotated[str, Field(max_length=100, pattern=r"^[\x21-\x7e]*$")]
Channel = Literal["qr", "link", "kiosk", "invitation", "api", "import"]
Metric = Literal["nps", "csat", "fft", "smiley", "expectations"]


class Error(Schema):
    code: str
    message: str
    details: Any = None


class ResponseIn(Schema):
    """One response. Give ``collection_point``, or ``unit`` with ``survey`` or
    ``survey_version`` (the survey's current published version is used with ``survey``)."""

    collection_point: Id | None = None
    unit: Id | None = None
    touchpoint: Id | None = None
    survey: Id | None = None
    survey_version: Id | None = None
    answers: dict[str, Any] = Field(description="Answers keyed by question key.")
    language: Language = Field(description="fi, sv or en.")
    channel: Channel = "api"
    submitted_at: datetime | None = Field(None, description="With a time zone; default now.")
    idempotency_key: Key | None = Field(None, description="Repeats return 'duplicate'.")
    consent_contact: bool = False
    contact: SafeText = ""
    respondent_token: Key = ""


class SubmitOut(Schema):
    id: int
    status: Literal["created", "duplicate"]


class BatchIn(Schema):
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=1000,
        description="Up to 1,000 responses, each with the fields of POST /api/v1/responses.")


class BatchItemOut(Schema):
    index: int
    status: Literal["created", "duplicate", "invalid"]
    id: int | None = None
    errors: dict[str, Any] | None = None


class BatchOut(Schema):
    created: int
    duplicates: int
    invalid: int
    results: list[BatchItemOut]


class ResponseOut(Schema):
    id: int
    unit: int
    touchpoint: int | None
    survey: int | None
    survey_version: int
    collection_point: int | None
    channel: str
    language: str
    submitted_at: datetime
    received_at: datetime
    idempotency_key: str | None
    consent_contact: bool
    answers: dict[str, Any]


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; "
                                                "null on the last page.")


class UnitOut(Schema):
    id: int
    name: str
    parent: int | None
    kind: str
    sector: str
    depth: int
    time_zone: str
    language: str
    archived: bool


class CollectionPointOut(Schema):
    id: int
    code: str
    url: str
    unit: int
    touchpoint: int | None
    survey: int
    survey_version: int | None
    channel: str
    is_active: bool


class MetricOut(Schema):
    metric: Metric
    unit: int | None
    touchpoint: int | None
    from_: date = Field(alias="from")
    to: date
    scale: str
    value: float | None
    low: float | None
    high: float | None
    n: int | None = Field(description="Number of answers; null when suppressed.")
    suppressed: bool
    suppression_reason: str | None = None


class VisitEventIn(Schema):
    """A visit (e.g. a pharmacy purchase or a clinic appointment) that triggers a survey
    invitation by e-mail or SMS after the organisation's delay and quiet hours."""

    unit: Id
    touchpoint: Id | None = None
    occurred_at: datetime = Field(description="With a time zone.")
    email: Annotated[str, Field(max_length=254, pattern=r"^[^\x00-\x1f]*$")] = ""
    phone: Annotated[str, Field(max_length=32, pattern=r"^[^\x00-\x1f]*$")] = ""
    language: Language = "fi"
    external_id: Key = Field("", description="Your id of the visit; repeats return "
                                             "'duplicate'.")


class VisitEventOut(Schema):
    id: int
    status: Literal["created", "duplicate"]
