import pytest

from kokemus.accounts.audit import SYSTEM
from kokemus.journeys import usage
from kokemus.journeys.actions import do_create_journey_from_template


@pytest.fixture
def journey(tree):
    return do_create_journey_from_template(SYSTEM, tree.org, "community_pharmacy",
                                           units=[tree.kamppi, tree.kallio])


@pytest.fixture
def used_touchpoints():
    """A fake 'has responses' check: add touchpoint ids to the returned set."""
    used: set[int] = set()

    def check(ids):
        return [i for i in ids if i in used]

    usage.register_usage_check(check)
    yield used
    usage.unregister_usage_check(check)
