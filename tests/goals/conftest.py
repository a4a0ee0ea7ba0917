import pytest

from kokemus.goals import series as S


@pytest.fixture
def today(org):
    return S.today_for(org)
