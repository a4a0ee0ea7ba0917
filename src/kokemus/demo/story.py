"""The demo story: two years of synthetic responses with planted truths.

Everything the story "knows" is in ``planted_truths.yaml`` next to this file; the
generator reads its parameters from there only, and ``tests/test_planted_truths.py``
checks that the product's analytics recover each truth from the generated data.

Set-up (surveys and collection points) goes through the surveys actions; the responses
themselves are written through :mod:`kokemus.demo.bulk` (vectorised with NumPy, COPY on
PostgreSQL), which also maintains the rollups.

Entry points: :func:`demo_step` (the ``kokemus demo`` loader step) and :func:`generate`
(``kokemus generate --responses N``).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import yaml
from django.db import transaction
from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Organisation, Sector, Unit, UnitKind
from kokemus.analytics.models import NO_VALUE, RESPONSE_KEY, DailyCount
from kokemus.demo import bulk
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.responses.models import Answer, Response
from kokemus.surveys import actions as survey_actions
from kokemus.surveys.models import CollectionChannel, CollectionPoint, Survey, SurveyStatus
from kokemus.surveys.questions import BEHAVIOURS, new_question

HERE = Path(__file__).resolve().parent
TRUTHS_FILE = HERE / "planted_truths.yaml"
PHRASES_DIR = HERE / "phrases"

DEMO_RESPONSES = 60_000       # `make demo` size (SQLite bulk path, see the report/bench)
BATCH = 100_000
LARGE_LOAD = 500_000          # from this size the bulk load rebuilds secondary indexes after
VISIT_TEMPLATE_KEY = "demo_visit"
VISIT_NAME = {"fi": "Käyntikysely", "sv": "Besöksenkät", "en": "Visit survey"}
KINDS = ("visit", "nps", "smiley")
EMOTIONS = ("angry", "frustrated", "worried", "neutral", "relieved", "calm", "happy")
EMOTION_CUTS = (3.0, 5.0, 6.3, 7.4, 8.3, 9.2)

# Comment themes by unit sector; behaviour → theme, per sector where it differs.
SECTOR_THEMES = {
    Sector.PHARMACY: ["greeting", "friendliness", "attention", "openness", "expertise",
                      "waiting", "price", "availability", "cleanliness", "parking",
                      "staff_attitude"],
    Sector.ONLINE_PHARMACY: ["online_ordering", "delivery", "price", "availability",
                             "expertise", "openness"],
    Sector.HOSPITAL_OUTPATIENT: ["care", "waiting", "openness", "attention", "friendliness",
                                 "parking", "cleanliness", "greeting"],
    Sector.CARE_HOME: ["meals", "activities", "family_communication", "staff_attitude",
                       "cleanliness", "attention", "friendliness"],
}
BEHAVIOUR_THEME = {
    Sector.ONLINE_PHARMACY: {"greeting": "online_ordering", "waiting": "delivery",
                             "friendliness": "online_ordering", "attention": "expertise"},
    Sector.HOSPITAL_OUTPATIENT: {"expertise": "care"},
    Sector.CARE_HOME: {"expertise": "staff_attitude", "waiting": "family_communication",
                       "greeting": "staff_attitude", "openness": "family_communication"},
}
FIRST_NAMES = ["anna", "mikko", "sanna", "juha", "liisa", "pekka", "maria", "eeva", "timo",
               "kaisa", "erik", "ulla", "johan", "sofia", "olli", "hanna", "ville", "aino"]
LAST_NAMES = ["virtanen", "korhonen", "nieminen", "makinen", "hamalainen", "laine", "koskinen",
              "lindqvist", "heikkinen", "johansson", "salo", "lehtonen", "nyman", "turunen"]


@cache
def load_truths() -> dict:
    return yaml.safe_load(TRUTHS_FILE.read_text(encoding="utf-8"))


@cache
def load_phrases(language: str) -> dict:
    return yaml.safe_load((PHRASES_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


# --- Set-up: the visit survey and the collection points -------------------------------------

def visit_questions(org_name: str) -> list[dict]:
    qs = [new_question("nps", "nps", organisation_name=org_name, required=True)]
    qs += [new_question("behaviour", b, behaviour=b) for b in BEHAVIOURS]
    qs += [new_question("expectations", "expectations"), new_question("mood", "mood"),
           new_question("emotion", "emotion"), new_question("free_text", "why"),
           new_question("contact_consent", "contact")]
    return qs


def ensure_visit_survey(org: Organisation) -> Survey:
    """The organisation's visit survey with a QR collection point per site/department."""
    survey = (Survey.objects.filter(organisation=org, template_key=VISIT_TEMPLATE_KEY,
                                    status=SurveyStatus.PUBLISHED).order_by("id").first())
    if survey is None:
        survey = survey_actions.do_create_survey(
            SYSTEM, org, name=VISIT_NAME, questions=visit_questions(org.name), publish=True,
            template_key=VISIT_TEMPLATE_KEY)
    have = set(CollectionPoint.objects.filter(survey=survey)
               .values_list("unit_id", "touchpoint_id"))
    for unit in _places(org):
        # One QR point per key touchpoint of the unit's journey, so the journey heatmap
        # of the demo has answers along the whole visit, not in one column.
        for touchpoint in _key_touchpoints(unit) or [None]:
            ident = (unit.pk, touchpoint.pk if touchpoint else None)
            if ident not in have:
                survey_actions.do_create_collection_point(
                    SYSTEM, survey, unit=unit, touchpoint=touchpoint,
                    channel=CollectionChannel.QR)
    return survey


KEY_TOUCHPOINTS_PER_UNIT = 6


def _key_touchpoints(unit: Unit) -> list:
    """Up to six touchpoints of the unit's journey after the awareness stage: every moment
    that matters, then others spread evenly along the journey."""
    from kokemus.journeys.models import Touchpoint

    journey = unit.journeys.filter(archived_at__isnull=True).order_by("id").first()
    if journey is None:
        return []
    points = list(Touchpoint.objects.filter(journey=journey, archived_at__isnull=True,
                                            stage__archived_at__isnull=True)
                  .exclude(stage__key="awareness")
                  .order_by("stage__position", "position", "id"))
    chosen = [t for t in points if t.moment_that_matters][:KEY_TOUCHPOINTS_PER_UNIT]
    others = [t for t in points if not t.moment_that_matters]
    step = max(1, len(others) // max(1, KEY_TOUCHPOINTS_PER_UNIT - len(chosen)))
    for t in others[::step]:
        if len(chosen) >= KEY_TOUCHPOINTS_PER_UNIT:
            break
        chosen.append(t)
    return sorted(chosen, key=lambda t: (t.stage.position, t.position, t.pk))


def _places(org: Organisation) -> list[Unit]:
    return list(Unit.objects.filter(organisation=org, archived_at__isnull=True,
                                    kind__in=[UnitKind.SITE, UnitKind.DEPARTMENT])
                .order_by("path"))


# --- The plan: what the generator draws from -------------------------------------------------

@dataclass
class Plan:
    org_keys: list[str]
    org_share: np.ndarray
    unit_names: list[str]
    unit_org: np.ndarray           # org index per unit
    unit_weight: np.ndarray        # volume weight (within its org)
    unit_lang: np.ndarray          # (U, 3) language probabilities
    unit_sector: list[str]
    unit_online: np.ndarray
    unit_site_effect: np.ndarray   # planted NPS points
    unit_treated: np.ndarray
    unit_hours: np.ndarray         # (U, 2) local opening hours
    unit_kind_p: np.ndarray        # (U, 3) visit/nps/smiley probabilities
    days: list[date]
    day_month: np.ndarray
    day_dow: np.ndarray
    day_t: np.ndarray              # years since start
    day_after: np.ndarray          # on/after the action start
    day_offset_s: np.ndarray       # UTC offset of the local day (seconds)
    day_midnight_us: np.ndarray    # local midnight as if UTC, Unix µs
    org_day_p: np.ndarray          # (O, D) day probabilities
    now_local_s: float
    # filled by attach(): database objects
    cp_rows: list[dict] = field(default_factory=list)
    unit_cps: list[dict] = field(default_factory=list)   # per unit: kind -> [cp index]
    version_questions: dict = field(default_factory=dict)


def make_plan(truths: dict, today: date, now_local_s: float = 86_400.0,
              org_keys: list[str] | None = None) -> Plan:
    orgs = truths["organisations"]
    keys = list(orgs) if org_keys is None else org_keys
    share = np.array([orgs[k]["share"] for k in keys], dtype=float)
    names, uorg, weight, lang, sector, online, effect, treated, hours = ([] for _ in range(9))
    action = truths["improvement_action"]
    for oi, key in enumerate(keys):
        sector_default = {"aurinko": Sector.PHARMACY, "sairaala": Sector.HOSPITAL_OUTPATIENT,
                          "koivula": Sector.CARE_HOME}.get(key, Sector.OTHER)
        for name, w in orgs[key]["units"].items():
            is_online = name in truths["online_units"]
            names.append(name)
            uorg.append(oi)
            weight.append(w)
            ulang = "sv" if name.startswith("Solens") else "fi"
            lang.append([truths["languages"][ulang][c] for c in LANGUAGES])
            sector.append(Sector.ONLINE_PHARMACY if is_online else sector_default)
            online.append(is_online)
            effect.append(truths["site_effects"].get(name, 0.0))
            treated.append(name in action["sites"])
            hours.append([7.0, 23.5] if is_online else orgs[key]["hours"])
    years = truths["years"]
    start = today - timedelta(days=365 * years - 1)
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    zone = ZoneInfo("Europe/Helsinki")
    offsets = np.array([datetime(d.year, d.month, d.day, 12, tzinfo=zone).utcoffset()
                        .total_seconds() for d in days])
    month = np.array([d.month - 1 for d in days])
    dow = np.array([d.weekday() for d in days])
    t = np.arange(len(days)) / 365.0
    vol = truths["volume"]
    day_p = []
    for key in keys:
        w = (np.array(orgs[key]["weekday_volume"])[dow] * np.array(vol["month"])[month]
             * (1 + vol["growth_per_year"] * t))
        day_p.append(w / w.sum())
    midnight = np.array([(d - date(1970, 1, 1)).days for d in days], dtype=np.int64) \
        * 86_400_000_000
    mix = truths["survey_mix"]
    kind_p = np.array([[mix["visit"], mix["nps"], 0.0 if o else mix["smiley"]] for o in online])
    return Plan(keys, share / share.sum(), names, np.array(uorg), np.array(weight, float),
                np.array(lang, float), sector, np.array(online), np.array(effect, float),
                np.array(treated), np.array(hours, float), kind_p, days, month, dow, t,
                np.array([d >= action["start"] for d in days]), offsets, midnight,
                np.array(day_p), now_local_s)


def attach(plan: Plan, orgs: dict[str, Organisation]) -> None:
    """Look up units, collection points and survey versions; create the visit surveys."""
    plan.cp_rows, plan.unit_cps, plan.version_questions = [], [], {}
    units_by_org = {key: {u.name: u for u in _places(org)} for key, org in orgs.items()}
    visit = {key: ensure_visit_survey(org) for key, org in orgs.items()}
    for ui, name in enumerate(plan.unit_names):
        key = plan.org_keys[plan.unit_org[ui]]
        unit = units_by_org[key].get(name)
        if unit is None:
            raise LookupError(f"demo unit {name!r} of {key!r} is missing")
        kinds: dict[str, list[int]] = {k: [] for k in KINDS}
        cps = (CollectionPoint.objects.filter(unit=unit, is_active=True,
                                              survey__status=SurveyStatus.PUBLISHED)
               .select_related("survey").order_by("id"))
        for cp in cps:
            survey = cp.survey
            if survey.pk == visit[key].pk:
                kind = "visit"
            elif survey.template_key == "nps_why_consent":
                kind = "nps"
            elif survey.template_key == "smiley":
                kind = "smiley"
            else:
                continue
            version = survey.current_version
            plan.version_questions[version.pk] = version.questions
            kinds[kind].append(len(plan.cp_rows))
            plan.cp_rows.append({"organisation_id": unit.organisation_id, "unit_id": unit.pk,
                                 "touchpoint_id": cp.touchpoint_id,
                                 "survey_version_id": version.pk,
                                 "collection_point_id": cp.pk, "channel": cp.channel,
                                 "kind": kind})
        for ki, kind in enumerate(KINDS):
            if not kinds[kind]:
                plan.unit_kind_p[ui, ki] = 0.0
        plan.unit_kind_p[ui] /= plan.unit_kind_p[ui].sum()
        plan.unit_cps.append(kinds)


# --- The latent-variable model ---------------------------------------------------------------

@dataclass
class Params:
    mood_coef: float
    site_shift: np.ndarray         # latent shift per unit
    action_shift: float


def _cut(x: np.ndarray, cuts) -> np.ndarray:
    return np.searchsorted(np.asarray(cuts, dtype=float), x, side="right")


def simulate(plan: Plan, truths: dict, params: Params, n: int, rng: np.random.Generator,
             org_index: np.ndarray | None = None) -> dict:
    """Draw n respondents: where, when, in which language, and every answer (no DB)."""
    orgs = truths["organisations"]
    if org_index is None:
        org_index = rng.choice(len(plan.org_keys), size=n, p=plan.org_share)
    unit = np.empty(n, dtype=np.int64)
    day = np.empty(n, dtype=np.int64)
    for oi in range(len(plan.org_keys)):
        sel = np.flatnonzero(org_index == oi)
        if not len(sel):
            continue
        members = np.flatnonzero(plan.unit_org == oi)
        w = plan.unit_weight[members]
        unit[sel] = members[rng.choice(len(members), size=len(sel), p=w / w.sum())]
        day[sel] = rng.choice(len(plan.days), size=len(sel), p=plan.org_day_p[oi])
    hours = plan.unit_hours[unit]
    sec = (hours[:, 0] + rng.random(n) * (hours[:, 1] - hours[:, 0])) * 3600.0
    last = day == len(plan.days) - 1
    sec[last] = np.minimum(sec[last], rng.random(last.sum()) * plan.now_local_s)
    lang = (rng.random(n)[:, None] > np.cumsum(plan.unit_lang[unit], axis=1)).sum(1)
    lang = np.minimum(lang, 2)
    kind = (rng.random(n)[:, None] > np.cumsum(plan.unit_kind_p[unit], axis=1)).sum(1)
    kind = np.minimum(kind, 2)

    month, dow = plan.day_month[day], plan.day_dow[day]
    season, week = truths["seasonality"], truths["weekday"]
    bcfg = truths["behaviours"]
    rho = bcfg["rho"]
    q = rng.standard_normal(n)
    z = rho * q[:, None] + np.sqrt(1 - rho * rho) * rng.standard_normal((n, len(BEHAVIOURS)))
    z += np.array([bcfg["offset"][b] for b in BEHAVIOURS])
    wi = BEHAVIOURS.index("waiting")
    queue = ~plan.unit_online[unit]
    z[:, wi] += np.array(season["waiting_by_month"])[month]
    z[:, wi] += np.where((dow == 0) & queue, week["waiting_monday"], 0.0)
    rating = 1 + _cut(z, bcfg["cuts"])
    weights = np.array([bcfg["weights"][b] for b in BEHAVIOURS])
    mood = 1 + _cut(rng.random(n), np.cumsum(truths["mood"]["probabilities"])[:-1])
    treated_now = plan.unit_treated[unit] & plan.day_after[day]
    shift = params.site_shift[unit] + np.where(treated_now, params.action_shift, 0.0)
    base = np.array([orgs[k]["base"] for k in plan.org_keys])[plan.unit_org[unit]]
    latent = (base + np.array(season["latent_by_month"])[month]
              + np.array(week["latent"])[dow]
              + (rating - 4.0) @ weights
              + params.mood_coef * (mood - 3)
              + truths["noise_sd"] * rng.standard_normal(n)
              + shift)
    nps = np.clip(np.rint(latent), 0, 10).astype(np.int64)
    return {"unit": unit, "day": day, "sec": sec, "lang": lang, "kind": kind, "rating": rating,
            "mood": mood, "latent": latent, "shift": shift, "nps": nps}


def _nps_points(scores: np.ndarray) -> float:
    return 100.0 * (np.mean(scores >= 9) - np.mean(scores <= 6))


def _solve_shift(latent0: np.ndarray, target: float) -> float:
    """Latent shift that moves the expected NPS of a population by ``target`` points."""
    base = _nps_points(np.clip(np.rint(latent0), 0, 10))
    lo, hi = -6.0, 6.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if _nps_points(np.clip(np.rint(latent0 + mid), 0, 10)) - base < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _truths_hash(truths: dict) -> str:
    return hashlib.sha256(json.dumps(truths, sort_keys=True, default=str).encode()).hexdigest()


_CALIBRATED: dict[str, Params] = {}


def calibrate(truths: dict, n: int = 120_000) -> Params:
    """Latent parameters that make the planted observable truths hold in expectation.

    Uses a fixed calibration seed (common random numbers), so the result depends on the
    YAML only. Mood: the within-unit OLS slope of NPS on mood (what
    ``metrics.adjust.mood_adjust`` estimates) equals ``nps_points_per_step``. Site
    effects and the action: the NPS-point difference to an equal, untreated site.
    """
    from kokemus.metrics.adjust import mood_adjust

    key = _truths_hash(truths)
    if key in _CALIBRATED:
        return _CALIBRATED[key]
    plan = make_plan(truths, today=date(2026, 1, 1))
    target = truths["mood"]["nps_points_per_step"]
    params = Params(target, np.zeros(len(plan.unit_names)), 0.0)
    effects = plan.unit_site_effect
    for _round in range(2):
        for _i in range(3):
            sim = simulate(plan, truths, params, n, np.random.default_rng(
                truths["calibration_seed"]))
            slope = mood_adjust(sim["unit"], sim["nps"], sim["mood"]).effect
            params.mood_coef *= target / slope
        sim = simulate(plan, truths, params, n, np.random.default_rng(
            truths["calibration_seed"] + 1))
        equal = (effects[sim["unit"]] == 0) & (plan.unit_org[sim["unit"]] == 0)
        latent0 = (sim["latent"] - sim["shift"])[equal]
        shifts = np.zeros(len(plan.unit_names))
        for ui in np.flatnonzero(effects != 0):
            shifts[ui] = _solve_shift(latent0, effects[ui])
        params.site_shift = shifts
        params.action_shift = _solve_shift(latent0, truths["improvement_action"]["nps_points"])
    _CALIBRATED[key] = params
    return params


def expected_positive_shares(truths: dict | None = None, n: int = 1_000_000) -> dict[str, float]:
    """Expected % promoters per pharmacy site over the story (for the perception-gap
    predictions recorded in the YAML: prediction = this + staff_prediction_bias)."""
    truths = truths or load_truths()
    params = calibrate(truths)
    plan = make_plan(truths, today=date(2026, 11, 23), org_keys=["aurinko"])
    sim = simulate(plan, truths, params, n, np.random.default_rng(7))
    return {name: float(100 * np.mean(sim["nps"][sim["unit"] == ui] >= 9))
            for ui, name in enumerate(plan.unit_names)}


# --- Answers and comments ---------------------------------------------------------------------

class CommentMaker:
    def __init__(self, truths: dict):
        self.cfg = truths["comments"]
        self.banks = [load_phrases(lang) for lang in LANGUAGES]

    def _sentence(self, bank: dict, theme: str, polarity: str, rng: random.Random) -> str:
        entry = bank["themes"][theme]
        pool = entry[polarity]
        if entry.get(f"{polarity}_negated") and rng.random() < 0.25:
            pool = entry[f"{polarity}_negated"]
        return pool[rng.randrange(len(pool))]

    def make(self, lang: int, sector: str, nps: int, rating: list[float],
             rng: random.Random) -> str:
        """One comment whose themes and sentiment follow the score and the service
        behaviour ratings. ``rng`` is a :class:`random.Random` (a scalar draw costs a
        fraction of NumPy's, and there are millions of comments)."""
        bank = self.banks[lang]
        themes = SECTOR_THEMES.get(sector, SECTOR_THEMES[Sector.PHARMACY])
        remap = BEHAVIOUR_THEME.get(sector, {})
        noisy = [r + rng.random() * 0.5 for r in rating]

        def theme_for(polarity: str) -> str:
            if rng.random() < self.cfg["behaviour_theme_share"]:
                pick = min if polarity == "neg" else max
                b = BEHAVIOURS[pick(range(len(noisy)), key=noisy.__getitem__)]
                return remap.get(b, b)
            return themes[rng.randrange(len(themes))]

        def low(s: str) -> str:
            return s[:1].lower() + s[1:]

        connector = bank["contrast"][rng.randrange(len(bank["contrast"]))]
        u = rng.random()
        if nps <= 6:
            main = self._sentence(bank, theme_for("neg"), "neg", rng)
            if u < 0.35:
                good = self._sentence(bank, theme_for("pos"), "pos", rng)
                return f"{good}, {connector} {low(main)}."
            if u < 0.55:
                more = self._sentence(bank, theme_for("neg"), "neg", rng)
                return f"{main}. {more}." if more != main else f"{main}."
            return f"{main}."
        if nps <= 8:
            good = self._sentence(bank, theme_for("pos"), "pos", rng)
            if u < 0.6:
                bad = self._sentence(bank, theme_for("neg"), "neg", rng)
                return f"{good}, {connector} {low(bad)}."
            return f"{good}."
        good = self._sentence(bank, theme_for("pos"), "pos", rng)
        if u < 0.1:
            bad = self._sentence(bank, theme_for("neg"), "neg", rng)
            return f"{bad}, {connector} {low(good)}."
        if u < 0.3:
            more = self._sentence(bank, theme_for("pos"), "pos", rng)
            add = bank["addition"][rng.randrange(len(bank["addition"]))]
            return f"{good}. {add} {low(more)}." if more != good else f"{good}."
        return f"{good}."


class Coder:
    """Question and choice codes shared by the batches and the rollup keys."""

    def __init__(self, plan: Plan):
        self.questions: list[tuple[str, str]] = [(RESPONSE_KEY, RESPONSE_KEY)]
        self.choices: list[str] = [""]
        for questions in plan.version_questions.values():
            for q in questions:
                self.q(q["key"], q["type"])
        for e in EMOTIONS:
            self.choice(e)

    def q(self, key: str, qtype: str) -> int:
        item = (key, qtype)
        if item not in self.questions:
            self.questions.append(item)
        return self.questions.index(item)

    def choice(self, key: str) -> int:
        if key not in self.choices:
            self.choices.append(key)
        return self.choices.index(key)


def build_batch(plan: Plan, truths: dict, params: Params, coder: Coder, comments: CommentMaker,
                n: int, rng: np.random.Generator, first_id: int,
                org_index: np.ndarray | None = None) -> tuple[dict, dict]:
    sim = simulate(plan, truths, params, n, rng, org_index)
    unit, kind, nps, latent = sim["unit"], sim["kind"], sim["nps"], sim["latent"]
    # collection point per response
    cp = np.empty(n, dtype=np.int64)
    pick_r = rng.random(n)
    for ui, kinds in enumerate(plan.unit_cps):
        for ki, kname in enumerate(KINDS):
            choices = kinds[kname]
            if not choices:
                continue
            sel = np.flatnonzero((unit == ui) & (kind == ki))
            cp[sel] = np.asarray(choices)[(pick_r[sel] * len(choices)).astype(np.int64)]
    local_us = (plan.day_midnight_us[sim["day"]]
                + (sim["sec"] * 1e6).astype(np.int64)
                + rng.integers(1, 999_999, n))
    submitted = local_us - (plan.day_offset_s[sim["day"]] * 1e6).astype(np.int64)
    received = submitted + rng.integers(1_000_000, 120_000_000, n)

    parts_resp, parts_q, parts_v, parts_c = [], [], [], []

    def add(mask: np.ndarray, qcode: int, values: np.ndarray | int, choice=0):
        idx = np.flatnonzero(mask)
        parts_resp.append(idx)
        parts_q.append(np.full(len(idx), qcode))
        parts_v.append(np.broadcast_to(values, (n,))[idx] if not np.isscalar(values)
                       else np.full(len(idx), values))
        parts_c.append(np.broadcast_to(choice, (n,))[idx] if not np.isscalar(choice)
                       else np.full(len(idx), choice))

    visit, npsk, smiley = kind == 0, kind == 1, kind == 2
    add(visit | npsk, coder.q("nps", "nps"), nps)
    skip = truths["behaviours"]["skip_rate"]
    for bi, b in enumerate(BEHAVIOURS):
        add(visit & (rng.random(n) >= skip), coder.q(b, "behaviour"), sim["rating"][:, bi])
    expect = 1 + _cut(latent - 7.6 + rng.standard_normal(n), (-2.6, -1.2, 0.9, 2.3))
    add(visit & (rng.random(n) >= 0.06), coder.q("expectations", "expectations"), expect)
    add(visit & (rng.random(n) >= truths["mood"]["skip_rate"]), coder.q("mood", "mood"),
        sim["mood"])
    emo_idx = _cut(latent + 0.6 * (sim["mood"] - 3) + 0.8 * rng.standard_normal(n),
                   EMOTION_CUTS)
    emo_codes = np.array([coder.choice(e) for e in EMOTIONS])[emo_idx]
    add(visit & (rng.random(n) >= 0.10), coder.q("emotion", "emotion"), NO_VALUE, emo_codes)
    add(smiley, coder.q("smiley", "smiley"), 1 + _cut(latent, (4.5, 6.5, 8.5)))

    # comments
    cprob = truths["comments"]["probability"]
    p = np.where(nps <= 6, cprob["detractor"], np.where(nps <= 8, cprob["passive"],
                                                        cprob["promoter"]))
    has_comment = (visit | npsk) & (rng.random(n) < p)
    comment_q = np.where(visit, coder.q("why", "free_text"),
                         np.where(nps <= 6, coder.q("improve", "free_text"),
                                  coder.q("liked", "free_text")))
    # consent
    ccfg = truths["contact"]
    cr = rng.random(n)
    consent = (visit | npsk) & (cr < np.where(nps <= 6, ccfg["consent_detractor"],
                                              ccfg["consent_other"]))
    said_no = (visit | npsk) & ~consent & (rng.random(n) < ccfg["answer_no_share"])
    contact_q = coder.q("contact", "contact_consent")
    add(consent | said_no, contact_q, consent.astype(np.int64))
    ctext_idx = np.flatnonzero(has_comment)
    add(has_comment, 0, NO_VALUE)          # placeholder question code, fixed below
    parts_q[-1] = comment_q[ctext_idx]

    resp = np.concatenate(parts_resp)
    answers = {"resp": resp, "q": np.concatenate(parts_q).astype(np.int64),
               "value": np.concatenate(parts_v).astype(np.int64),
               "choice": np.concatenate(parts_c).astype(np.int64)}
    text_start = len(resp) - len(ctext_idx)
    texts = {}
    crng = np.random.default_rng(rng.integers(2**63))
    prng = random.Random(int(crng.integers(2**63)))
    langs, units = sim["lang"][ctext_idx].tolist(), unit[ctext_idx].tolist()
    scores, ratings = nps[ctext_idx].tolist(), sim["rating"][ctext_idx].tolist()
    for j in range(len(ctext_idx)):
        texts[text_start + j] = comments.make(langs[j], plan.unit_sector[units[j]],
                                              scores[j], ratings[j], prng)
    answers["text"] = texts

    contact = [""] * n
    wording = ["{}"] * n
    for i in np.flatnonzero(consent).tolist():
        first = FIRST_NAMES[int(crng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(crng.integers(len(LAST_NAMES)))]
        contact[i] = f"{first}.{last}{int(crng.integers(1, 100))}@example.invalid"
        row = plan.cp_rows[cp[i]]
        question = next(q for q in plan.version_questions[row["survey_version_id"]]
                        if q["type"] == "contact_consent")
        wording[i] = bulk.consent_wording(question, LANGUAGES[sim["lang"][i]],
                                          row["survey_version_id"], pick)
    # Last of the batch's draws, so the rest of the story is the same with or without it.
    plant_emerging(plan, truths, texts, text_start, sim["day"][ctext_idx], units, langs,
                   random.Random(int(rng.integers(2**63))))
    responses = {"id": first_id + np.arange(n, dtype=np.int64), "cp": cp, "lang": sim["lang"],
                 "day": sim["day"], "submitted_us": submitted, "received_us": received,
                 "consent": consent, "contact": contact, "consent_wording": wording}
    return responses, answers


def plant_emerging(plan: Plan, truths: dict, texts: dict[int, str], text_start: int,
                   days: np.ndarray, units: list[int], langs: list[int],
                   rng: random.Random) -> None:
    """The emerging topic (``comments.emerging`` of the YAML): in the story's last days,
    a share of the named unit's comments end with the planted complaint. ``days``, ``units``
    and ``langs`` are per comment, in the order of ``texts`` from ``text_start``."""
    cfg = truths["comments"].get("emerging")
    if not cfg:
        return
    if cfg["unit"] not in plan.unit_names:
        if not any(cfg["unit"] in org["units"] for org in truths["organisations"].values()):
            raise LookupError(f"emerging topic unit {cfg['unit']!r} is not a demo unit")
        return  # its organisation is not being generated
    ui = plan.unit_names.index(cfg["unit"])
    first_day = len(plan.days) - int(cfg["days"])
    for j in np.flatnonzero((np.asarray(units) == ui) & (days >= first_day)).tolist():
        if rng.random() < cfg["share"]:
            texts[text_start + j] += " " + cfg["phrase"][LANGUAGES[langs[j]]] + "."


# --- Entry points --------------------------------------------------------------------------------

def demo_orgs(keys: list[str] | None = None) -> dict[str, Organisation]:
    truths = load_truths()
    wanted = keys or list(truths["organisations"])
    found = {o.slug: o for o in Organisation.objects.filter(slug__in=wanted)}
    missing = [k for k in wanted if k not in found]
    if missing:
        raise LookupError(f"demo organisations missing: {', '.join(missing)}")
    return {k: found[k] for k in wanted}


def generate(responses: int, seed: int = 2026, organisation: str | None = None,
             batch_size: int = BATCH, stdout=None) -> dict:
    """Append ``responses`` synthetic responses (two years ending today) to the demo orgs.

    Reproducible for the same seed, size, batch size and day. Returns timing statistics.
    """
    t0 = time.perf_counter()
    truths = load_truths()
    params = calibrate(truths)
    keys = [organisation] if organisation else list(truths["organisations"])
    orgs = demo_orgs(keys)
    now = timezone.localtime(timezone.now(), ZoneInfo("Europe/Helsinki"))
    now_s = now.hour * 3600 + now.minute * 60 + now.second - 60
    plan = make_plan(truths, today=now.date(), now_local_s=max(now_s, 1), org_keys=keys)
    attach(plan, orgs)
    coder = Coder(plan)
    comments = CommentMaker(truths)
    writer = bulk.BulkWriter(plan.cp_rows, coder.questions, coder.choices, plan.days)
    _month_partitions(plan.days)
    tables = [Response._meta.db_table, Answer._meta.db_table, DailyCount._meta.db_table]
    t_setup = time.perf_counter()
    gen_s = write_s = 0.0
    with bulk.sqlite_fast_writes(), transaction.atomic():
        bulk.pg_fast_writes()
        with bulk.indexes_deferred(tables, enabled=responses >= LARGE_LOAD) as deferred:
            first = writer.reserve_response_ids(responses)
            batches = [(no, offset, min(batch_size, responses - offset)) for no, offset in
                       enumerate(range(0, responses, batch_size))]

            def prepare(no: int, offset: int, size: int):
                """Simulate and encode one batch (NumPy; no database access)."""
                a = time.perf_counter()
                r, ans = build_batch(plan, truths, params, coder, comments, size,
                                     np.random.default_rng([seed, no]), first + offset)
                return writer.prepare_batch(r, ans), time.perf_counter() - a

            # The next batch is simulated and encoded in a worker thread while this one is
            # being written (the database works in its own process meanwhile).
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(prepare, *batches[0])
                for i, (_no, offset, size) in enumerate(batches):
                    payload, took = pending.result()
                    gen_s += took
                    if i + 1 < len(batches):
                        pending = pool.submit(prepare, *batches[i + 1])
                    b = time.perf_counter()
                    writer.send_batch(payload)
                    write_s += time.perf_counter() - b
                    if stdout is not None:
                        stdout.write(f"generate: {offset + size}/{responses}\n")
            a = time.perf_counter()
            keys_written = writer.write_rollups()
            rollup_s = time.perf_counter() - a
        index_s = time.perf_counter() - a - rollup_s
        a = time.perf_counter()
        bulk.analyze(tables)
        analyze_s = time.perf_counter() - a
    return {"responses": writer.responses, "answers": writer.answers,
            "rollup_keys": keys_written, "setup_s": round(t_setup - t0, 2),
            "simulate_encode_s": round(gen_s, 2), "write_wait_s": round(write_s, 2),
            "write_detail_s": {k: round(v, 2) for k, v in writer.timing.items()},
            "rollups_s": round(rollup_s, 2), "indexes_rebuilt": len(deferred),
            "index_rebuild_s": round(index_s, 2), "analyze_s": round(analyze_s, 2),
            "total_s": round(time.perf_counter() - t0, 2)}


def _month_partitions(days: list[date]) -> None:
    """On partitioned PostgreSQL tables: the month partitions of the story's two years, so
    generated rows land in their months (not in the DEFAULT partition). Idempotent."""
    from kokemus.responses import partitions

    if not partitions.is_partitioned():
        return
    month, last = partitions.month_of(days[0]), partitions.month_of(days[-1])
    while month <= last:
        partitions.create_month(month)
        month = partitions.add_months(month, 1)


def demo_step(ctx) -> None:
    """``kokemus demo`` step (order 60, after the surveys step): the two-year story, its
    comments analysed on the fast path (the demo runs no worker to sweep them)."""
    if not _SKIP["on"]:
        generate(DEMO_RESPONSES, seed=ctx.seed)
        from kokemus.demo.analysis import analyse_story_comments

        analyse_story_comments([o.pk for o in demo_orgs().values()],
                               stdout=getattr(ctx, "stdout", None))


_SKIP = {"on": False}


class skip_demo_step:  # noqa: N801 - used as a context manager
    """While active, :func:`demo_step` does nothing (``kokemus generate`` sizes the story)."""

    def __enter__(self):
        _SKIP["on"] = True

    def __exit__(self, *exc):
        _SKIP["on"] = False
