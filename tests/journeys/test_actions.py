from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import translation

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog, Organisation
from kokemus.journeys import actions
from kokemus.journeys.exchange import validate_journey_data
from kokemus.journeys.models import JourneyVersion, Stage, Touchpoint
from kokemus.journeys.templates_data import TEMPLATE_DIR, load_templates
from tests.conftest import build_org, make_user

TEMPLATE_KEYS = sorted(p.stem for p in Path(TEMPLATE_DIR).glob("*.yaml"))


def active_names(stage, lang="en"):
    return [t.name[lang] for t in stage.touchpoints.filter(archived_at__isnull=True)
            .order_by("position")]


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_create_from_each_template_matches_yaml(tree, key):
    raw = yaml.safe_load((Path(TEMPLATE_DIR) / f"{key}.yaml").read_text(encoding="utf-8"))
    journey = actions.do_create_journey_from_template(SYSTEM, tree.org, key,
                                                      units=[tree.kamppi])
    stages = list(journey.stages.order_by("position"))
    assert [s.key for s in stages] == [s["key"] for s in raw["stages"]]
    assert stages[0].key == "awareness"
    assert journey.touchpoints.count() == sum(len(s["touchpoints"]) for s in raw["stages"])
    for stage, raw_stage in zip(stages, raw["stages"], strict=True):
        assert set(stage.name) == {"fi", "sv", "en"} and all(stage.name.values())
        tps = list(stage.touchpoints.order_by("position"))
        assert [t.key for t in tps] == [t["key"] for t in raw_stage["touchpoints"]]
        for tp, raw_tp in zip(tps, raw_stage["touchpoints"], strict=True):
            for field in ("name", "description", "owner_role"):
                assert getattr(tp, field) == raw_tp[field]
                assert set(getattr(tp, field)) == {"fi", "sv", "en"}
            assert tp.channel == raw_tp["channel"]
            assert tp.moment_that_matters == raw_tp["moment_that_matters"]
    assert journey.version == 1 and journey.versions.count() == 1
    assert list(journey.units.all()) == [tree.kamppi]
    assert set(load_templates()) == set(TEMPLATE_KEYS)


def test_units_of_another_org_are_refused(tree, outsider):
    other = build_org(make_user("x@c.example"), name="Kolmas", slug="kolmas")
    with pytest.raises(ValidationError):
        actions.do_create_journey_from_template(SYSTEM, tree.org, "community_pharmacy",
                                                units=[other.kamppi])


def test_every_edit_bumps_version_and_stores_snapshot(journey, tree):
    stage = journey.stages.get(key="arrival")
    tp = actions.do_add_touchpoint(SYSTEM, stage, name={"en": "Bike racks", "fi": "Pyörätelineet"},
                                   channel="physical", moment_that_matters=True)
    journey.refresh_from_db()
    assert journey.version == 2
    snap = JourneyVersion.objects.get(journey=journey, version=2).snapshot
    arrival = next(s for s in snap["stages"] if s["key"] == "arrival")
    assert arrival["touchpoints"][-1]["name"] == {"en": "Bike racks", "fi": "Pyörätelineet"}
    actions.do_update_touchpoint(SYSTEM, tp, name={"en": "Bicycle racks"})
    actions.do_update_stage(SYSTEM, stage, name={"en": "Getting there", "fi": "Perille"})
    actions.do_rename_journey(SYSTEM, journey, name={"en": "Our pharmacy"})
    actions.do_set_journey_units(SYSTEM, journey, [tree.oulu])
    new_stage = actions.do_add_stage(SYSTEM, journey, name={"en": "Aftercare"}, position=1)
    actions.do_move_stage(SYSTEM, new_stage, 3)
    actions.do_archive_stage(SYSTEM, new_stage)
    journey.refresh_from_db()
    assert journey.version == 9
    assert journey.versions.count() == 9
    assert AuditLog.objects.filter(action="touchpoint.add", organisation=tree.org).exists()
    assert list(journey.units.all()) == [tree.oulu]


def test_move_touchpoint_within_and_across_stages(journey):
    awareness = journey.stages.get(key="awareness")
    arrival = journey.stages.get(key="arrival")
    names = active_names(awareness)
    first = awareness.touchpoints.get(key="sign_outside")
    actions.do_move_touchpoint(SYSTEM, first, awareness, 1)
    assert active_names(awareness) == [names[1], names[0], *names[2:]]
    actions.do_move_touchpoint(SYSTEM, first, arrival, 0)
    assert active_names(arrival)[0] == "Sign outside"
    assert "Sign outside" not in active_names(awareness)
    # positions stay contiguous
    for stage in (awareness, arrival):
        assert [t.position for t in stage.touchpoints.order_by("position")] == \
            list(range(stage.touchpoints.count()))
    first.refresh_from_db()
    assert first.stage_id == arrival.pk
    snap = journey.versions.order_by("-version").first().snapshot
    assert snap["stages"][1]["touchpoints"][0]["key"] == "sign_outside"


def test_delete_unused_touchpoint(journey):
    tp = journey.touchpoints.get(key="local_ads")
    assert actions.do_delete_or_archive_touchpoint(SYSTEM, tp) == "deleted"
    assert not Touchpoint.objects.filter(pk=tp.pk).exists()
    v1 = journey.versions.get(version=1).snapshot
    assert "local_ads" in [t["key"] for t in v1["stages"][0]["touchpoints"]]


def test_touchpoint_with_responses_is_archived_and_history_kept(journey, used_touchpoints):
    tp = journey.touchpoints.get(key="sign_outside")
    used_touchpoints.add(tp.pk)
    old_version = journey.version
    assert actions.do_delete_or_archive_touchpoint(SYSTEM, tp) == "archived"
    tp.refresh_from_db()
    assert tp.archived_at is not None
    assert tp.stage.key == "awareness"
    journey.refresh_from_db()
    assert journey.version == old_version + 1
    old = journey.versions.get(version=old_version).snapshot
    old_tp = next(t for t in old["stages"][0]["touchpoints"] if t["key"] == "sign_outside")
    assert old_tp["archived"] is False
    new = journey.versions.get(version=journey.version).snapshot
    new_tp = next(t for t in new["stages"][0]["touchpoints"] if t["key"] == "sign_outside")
    assert new_tp["archived"] is True
    # an archived touchpoint does not block its name, can be restored, and never moves
    actions.do_add_touchpoint(SYSTEM, tp.stage, name={"en": "Sign outside"})
    with pytest.raises(ValidationError):
        actions.do_restore_touchpoint(SYSTEM, tp)
    with pytest.raises(ValidationError):
        actions.do_move_touchpoint(SYSTEM, tp, tp.stage, 0)


def test_archived_stage_keeps_its_touchpoints(journey):
    stage = journey.stages.get(key="arrival")
    count = stage.touchpoints.count()
    actions.do_archive_stage(SYSTEM, stage)
    stage.refresh_from_db()
    assert stage.archived_at is not None
    assert stage.touchpoints.filter(archived_at__isnull=False).count() == count
    actions.do_restore_stage(SYSTEM, stage)
    stage.refresh_from_db()
    assert stage.archived_at is None


@pytest.mark.parametrize("name", [{}, {"en": "  "}, {"fi": ""}, None])
def test_names_are_required(journey, name):
    stage = journey.stages.first()
    with pytest.raises(ValidationError) as exc:
        actions.do_add_touchpoint(SYSTEM, stage, name=name)
    assert "name" in exc.value.error_dict
    with pytest.raises(ValidationError):
        actions.do_add_stage(SYSTEM, journey, name=name)
    with pytest.raises(ValidationError):
        actions.do_rename_journey(SYSTEM, journey, name=name)


def test_names_unique_within_stage_case_insensitive(journey):
    stage = journey.stages.get(key="awareness")
    with pytest.raises(ValidationError) as exc:
        actions.do_add_touchpoint(SYSTEM, stage, name={"en": "SIGN OUTSIDE"})
    assert "name" in exc.value.error_dict
    with pytest.raises(ValidationError):
        actions.do_add_touchpoint(SYSTEM, stage, name={"fi": "apteekin ulkokyltti"})
    # the same name in another stage is fine
    other = journey.stages.get(key="arrival")
    actions.do_add_touchpoint(SYSTEM, other, name={"en": "Sign outside"})
    # moving it into the stage with the same name is refused
    tp = other.touchpoints.get(name__en="Sign outside")
    with pytest.raises(ValidationError):
        actions.do_move_touchpoint(SYSTEM, tp, stage, 0)
    with pytest.raises(ValidationError):
        actions.do_add_stage(SYSTEM, journey, name={"en": "arrival"})
    with pytest.raises(ValidationError):
        actions.do_update_touchpoint(SYSTEM, tp, channel="carrier pigeon")


def strip(snapshot):
    snapshot = dict(snapshot)
    snapshot.pop("version")
    return snapshot


def test_json_round_trip_is_lossless(journey, tree, outsider, used_touchpoints):
    # make the journey interesting: archived stage and touchpoint, edits, moves
    stage = journey.stages.get(key="arrival")
    tp = actions.do_add_touchpoint(SYSTEM, stage, name={"en": "Bike racks", "sv": "Cykelställ"},
                                   description={"en": "Racks by the door."},
                                   owner_role={"fi": "Vahtimestari"}, channel="digital",
                                   moment_that_matters=True, position=0)
    used = journey.touchpoints.get(key="entrance")
    used_touchpoints.add(used.pk)
    actions.do_delete_or_archive_touchpoint(SYSTEM, used)
    actions.do_archive_stage(SYSTEM, journey.stages.get(key="waiting"))
    actions.do_move_touchpoint(SYSTEM, tp, journey.stages.get(key="awareness"), 2)
    exported = actions.journey_snapshot(journey)
    assert validate_journey_data(exported) == []
    other_org = Organisation.objects.get(slug="toinen")
    copy = actions.do_import_journey(SYSTEM, other_org, exported)
    assert copy.organisation == other_org
    assert Stage.objects.filter(journey=copy).count() == journey.stages.count()
    assert strip(actions.journey_snapshot(copy)) == strip(exported)
    assert Touchpoint.objects.filter(journey=copy, archived_at__isnull=False).count() == \
        journey.touchpoints.filter(archived_at__isnull=False).count()


@translation.override("en")
def test_import_validation_names_the_path(tree):
    data = actions.journey_snapshot(actions.do_create_journey_from_template(
        SYSTEM, tree.org, "care_home"))
    data["stages"][2]["touchpoints"][0]["name"] = {"fi": ""}
    data["stages"][1]["touchpoints"][1]["channel"] = "fax"
    data["stages"][0]["key"] = ""
    del data["stages"][3]["name"]
    data["stages"][4]["touchpoints"][0]["moment_that_matters"] = "yes"
    errors = validate_journey_data(data)
    assert "stages[2].touchpoints[0].name: required" in errors
    assert any(e.startswith("stages[1].touchpoints[1].channel:") for e in errors)
    assert "stages[0].key: required" in errors
    assert "stages[3].name: required" in errors
    assert any(e.startswith("stages[4].touchpoints[0].moment_that_matters:") for e in errors)
    with pytest.raises(ValidationError) as exc:
        actions.do_import_journey(SYSTEM, tree.org, data)
    assert "stages[2].touchpoints[0].name: required" in exc.value.message_dict["file"]
    assert validate_journey_data([]) != []
    assert validate_journey_data({"name": {"en": "x"}}) == ["stages: required (a list of stages)"]
    dup = {"name": {"en": "x"}, "stages": [
        {"key": "a", "name": {"en": "A"}, "touchpoints": [
            {"key": "t", "name": {"en": "T"}}, {"key": "t", "name": {"en": "U"}}]}]}
    assert any("stages[0].touchpoints[1].key" in e for e in validate_journey_data(dup))


def test_touchpoint_protected_by_another_app_is_archived(journey, monkeypatch):
    """A PROTECT reference from another app (e.g. a collection point) also means 'in use'."""
    from django.db.models import ProtectedError

    tp = journey.touchpoints.get(key="website")

    def refuse(self, *args, **kwargs):
        raise ProtectedError("protected", {self})

    monkeypatch.setattr(Touchpoint, "delete", refuse)
    assert actions.do_delete_or_archive_touchpoint(SYSTEM, tp) == "archived"
    tp.refresh_from_db()
    assert tp.archived_at is not None
