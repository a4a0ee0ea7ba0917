"""Shared personas: an admin, a manager of a region, a staff member of a site, a user of
another organisation, and the anonymous client. Every organisation page test uses them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from kokemus.accounts import actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Organisation, Role, Sector, Unit, UnitKind, User

PASSWORD = "correct-horse-battery-9"


@dataclass
class OrgTree:
    org: Organisation
    root: Unit
    south: Unit
    north: Unit
    kamppi: Unit
    kallio: Unit
    oulu: Unit


def make_user(email: str, name: str = "") -> User:
    return actions.do_create_user(SYSTEM, email=email, password=PASSWORD, full_name=name,
                                  validate=False)


def build_org(admin: User, name: str = "Apteekki Testi", slug: str = "testi") -> OrgTree:
    org = actions.do_create_organisation(Actor(user=admin), name=name, slug=slug,
                                         sector=Sector.PHARMACY)
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    south = actions.do_create_unit(SYSTEM, org, name="Etelä", parent=root, kind=UnitKind.REGION)
    north = actions.do_create_unit(SYSTEM, org, name="Pohjoinen", parent=root,
                                   kind=UnitKind.REGION)
    kamppi = actions.do_create_unit(SYSTEM, org, name="Kamppi", parent=south)
    kallio = actions.do_create_unit(SYSTEM, org, name="Kallio", parent=south)
    oulu = actions.do_create_unit(SYSTEM, org, name="Oulu", parent=north)
    return OrgTree(org, root, south, north, kamppi, kallio, oulu)


@pytest.fixture
def admin(db) -> User:
    return make_user("admin@a.example", "Anna Admin")


@pytest.fixture
def tree(admin) -> OrgTree:
    return build_org(admin)


@pytest.fixture
def org(tree) -> Organisation:
    return tree.org


@pytest.fixture
def manager(tree) -> User:
    user = make_user("manager@a.example", "Mikko Manager")
    actions.do_add_member(SYSTEM, tree.org, user=user, role=Role.MANAGER, unit=tree.south)
    return user


@pytest.fixture
def staff(tree) -> User:
    user = make_user("staff@a.example", "Sanna Staff")
    actions.do_add_member(SYSTEM, tree.org, user=user, role=Role.STAFF, unit=tree.kamppi)
    return user


@pytest.fixture
def outsider(db) -> User:
    """An administrator of another organisation."""
    user = make_user("admin@b.example", "Olli Outsider")
    build_org(user, name="Toinen Oy", slug="toinen")
    return user


def client_for(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin, tree) -> Client:
    return client_for(admin)


@pytest.fixture
def manager_client(manager) -> Client:
    return client_for(manager)


@pytest.fixture
def staff_client(staff) -> Client:
    return client_for(staff)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return client_for(outsider)


@pytest.fixture
def anon_client() -> Client:
    return client_for(None)


@pytest.fixture
def fresh_public_form():
    """The public form's per-process state (collection point cache, thank-you paths, keys
    seen over the rate limit) empty before and after the test."""
    from kokemus.surveys import public_views, ratelimit

    public_views.forget_points()
    ratelimit.forget()
    yield
    public_views.forget_points()
    ratelimit.forget()
