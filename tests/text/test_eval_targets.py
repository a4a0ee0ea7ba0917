import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("text_eval", ROOT / "bench" / "text_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labelled_set_sizes(bench) -> None:  # type: ignore[no-untyped-def]
    data = bench.load(ROOT / "tests" / "data")
    assert len(data["fi"]) >= 300 and len(data["sv"]) >= 100 and len(data["en"]) >= 100
    for rows in data.values():
        assert {r["sentiment"] for r in rows} == {"positive", "neutral", "negative"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_benchmark_targets(bench, lang: str) -> None:  # type: ignore[no-untyped-def]
    result = bench.evaluate(bench.load(ROOT / "tests" / "data")[lang], lang)
    assert result["sentiment_accuracy"] >= bench.TARGETS["sentiment_accuracy"][lang]
    assert result["sentiment_macro_f1"] >= bench.TARGETS["sentiment_macro_f1"]
    assert result["theme_micro_f1"] >= bench.TARGETS["theme_micro_f1"]


BLIND_SETS = sorted(p.name for p in (ROOT / "tests" / "data").glob("heldout*")
                    if (p / "comments_fi.csv").exists())


def test_there_are_blind_sets() -> None:
    assert len(BLIND_SETS) >= 2


@pytest.mark.parametrize("directory", BLIND_SETS)
def test_blind_set_readme_keeps_its_description_and_run_log(directory: str) -> None:
    """A blind set's README describes the set and logs every run; an edit that rewrote one
    with its last run only (it happened in session 15) must fail here."""
    text = (ROOT / "tests" / "data" / directory / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert "\n## Runs\n" in text, f"{directory}/README.md lost its run log"
    description, runs = text.split("\n## Runs\n", 1)
    assert len(description.splitlines()) >= 40, f"{directory}/README.md lost its description"
    assert "| date | commit |" in runs
    assert sum(line.startswith("| 20") for line in runs.splitlines()) >= 2
