import csv
import json

import pytest

from tests.surveys.helpers import make_survey, make_touchpoint

FFT_LABELS = ["Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know",
              "Erittäin hyvä", "Mycket bra", "3", "Huono"]
FFT_CODES = [1, 2, 3, 4, 5, 6, 1, 1, 3, 4]
HEADER = ["Response ID", "Unit", "Touchpoint", "Date", "Lang", "FFT", "Comment"]
BAD_KINDS = ["label", "unit", "time", "width"]
BAD_FIELD = {"label": "FFT", "unit": "Unit", "time": "Date", "width": ""}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (e.g. 100,000-row import)")


def is_bad(i: int) -> bool:
    return i % 100 in (7, 41, 83)  # 3 %


def write_csv(path, n: int, *, delimiter=",", encoding="utf-8", external_ids=True) -> dict:
    """n data rows; 3 % malformed. Returns the expected bad rows {row number: field}."""
    bad = {}
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(HEADER)
        for i in range(n):
            row_number = i + 2
            row = [f"r{i}" if external_ids else "", ["Kamppi", "Kallio", "Oulu"][i % 3],
                   "counter" if i % 2 else "", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} "
                   f"{8 + i % 10:02d}:{i % 60:02d}", ["fi", "sv", "en"][i % 3],
                   FFT_LABELS[i % len(FFT_LABELS)], "" if i % 4 else f"kommentti {i}"]
            if is_bad(i):
                kind = BAD_KINDS[(i // 100) % 4]
                bad[row_number] = BAD_FIELD[kind]
                if kind == "label":
                    row[5] = "Superb"
                elif kind == "unit":
                    row[1] = "Atlantis"
                elif kind == "time":
                    row[3] = "31.13.2024 25:00"
                else:
                    row = row[:4]
            w.writerow(row)
    return bad


@pytest.fixture
def survey(tree):
    make_touchpoint(tree.org, key="counter")
    return make_survey(tree.org, template="fft_why")


@pytest.fixture
def mapping(survey):
    return {"survey": survey.pk,
            "columns": {"Response ID": "external_id", "Unit": "unit",
                        "Touchpoint": "touchpoint", "Date": "time", "Lang": "language",
                        "FFT": "q:fft", "Comment": "q:why"}}


@pytest.fixture
def mapping_file(tmp_path, mapping):
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping))
    return path


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
