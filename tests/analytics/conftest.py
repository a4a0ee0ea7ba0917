from dataclasses import dataclass

import pytest

from tests.analytics.helpers import make_journey, make_survey


@dataclass
class Setup:
    journey: object
    door: object
    counter: object
    advice: object
    version: object


@pytest.fixture
def setup(tree):
    journey, (door, counter, advice) = make_journey(tree.org, [tree.kamppi, tree.kallio])
    return Setup(journey, door, counter, advice, make_survey(tree.org))
