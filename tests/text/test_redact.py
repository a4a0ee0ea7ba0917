import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kokemus.text import hetu_is_valid, redact
from kokemus.text.redact import hetu_check_char

CENTURY_SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}


def make_hetu(day: date, individual: int, sign_index: int = 0) -> str:
    signs = CENTURY_SIGNS[day.year // 100 * 100]
    sign = signs[sign_index % len(signs)]
    body = f"{day:%d%m}{day.year % 100:02d}{individual:03d}"
    return f"{body[:6]}{sign}{body[6:]}{hetu_check_char(body)}"


def test_known_valid_and_invalid_codes() -> None:
    assert hetu_is_valid("131052-308T")  # the public example code
    assert hetu_is_valid("131052Y308T")  # new 2023 century sign
    assert not hetu_is_valid("131052-308U")  # wrong check character
    assert not hetu_is_valid("310252-308T")  # 31 February does not exist


def test_redacts_each_kind() -> None:
    text = ("Hetu 131052-308T, puh. 040 123 4567, meili maija.meikalainen@example.fi, "
            "osoite Hämeenkatu 12 B 5, tel +46 70 123 45 67.")
    assert redact(text) == ("Hetu [ID], puh. [PHONE], meili [EMAIL], "
                            "osoite [ADDRESS], tel [PHONE].")


def test_phone_formats() -> None:
    for number in ["0401234567", "040-123 4567", "+358 40 123 4567", "(09) 123 4567",
                   "+358 9 1234 5678", "+1 555 123 4567", "00358 50 555 1234"]:
        assert redact(f"soita {number} kiitos") == "soita [PHONE] kiitos", number


def test_numbers_that_are_not_phones_survive() -> None:
    text = "Klo 9-17, 12.03.2024 hinta 25,90 €, 2 x 500 mg, odotin 45 min vuonna 2023."
    assert redact(text) == text


def test_invalid_hetu_is_kept() -> None:
    assert redact("koodi 131052-308U") == "koodi 131052-308U"


def test_addresses_in_three_languages() -> None:
    assert redact("Asun Koivukujalla 5 A") == "Asun [ADDRESS]"
    assert redact("Bor på Storgatan 3") == "Bor på [ADDRESS]"
    assert redact("I live at 12 High Street.") == "I live at [ADDRESS]"
    assert redact("Apteekki on Mannerheimintie 12:ssa") == "Apteekki on [ADDRESS]:ssa"


def test_staff_names_including_inflected_forms() -> None:
    staff = ["Mikko Virtanen", "Anna Korhonen"]
    assert redact("Kiitos Mikolle ja Virtaselle!", staff) == "Kiitos [NAME] ja [NAME]!"
    assert redact("mikko virtanen palveli", staff) == "[NAME] palveli"
    # Lower-case common word "anna" (give) is not a name.
    assert redact("anna palautetta", staff) == "anna palautetta"


def test_introduced_and_titled_names() -> None:
    assert redact("Farmaseutti nimeltä Sanna Laine auttoi") == "Farmaseutti nimeltä [NAME] auttoi"
    assert redact("Hoitaja Liisa oli ihana") == "Hoitaja [NAME] oli ihana"
    assert redact("A nurse named Jane helped. Dr. Smith too") == (
        "A nurse named [NAME] helped. Dr. [NAME] too")
    assert redact("Sjuksköterskan heter Eva") == "Sjuksköterskan heter [NAME]"
    assert redact("Thanks to the nurse. She was great") == "Thanks to the nurse. She was great"


# Words and separators that cannot form any PII pattern: lower-case letters only (no capital
# for names, no digits for codes or phones, no @ for e-mail).
SAFE_WORDS = st.lists(
    st.sampled_from(["palvelu", "oli", "hyvä", "jono", "pitkä", "kiitos", "tack", "bra",
                     "service", "queue", "ja", "mutta", "men", "but", "ok", "apteekki"]),
    max_size=30,
)
SAFE_SEPARATORS = st.sampled_from([" ", ", ", ". ", "! ", "\n", " - "])

DAYS = st.dates(min_value=date(1850, 1, 1), max_value=date(2099, 12, 31))


@given(words=SAFE_WORDS, sep=SAFE_SEPARATORS,
       text=st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö .,!?\n-", max_size=120))
@settings(max_examples=200, deadline=None)
def test_text_without_pii_is_unchanged(words: list[str], sep: str, text: str) -> None:
    sample = sep.join(words)
    assert redact(sample) == sample
    assert redact(text) == text


@given(day=DAYS, individual=st.integers(min_value=2, max_value=999),
       sign_index=st.integers(min_value=0, max_value=5),
       before=st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö .,!?-", max_size=40),
       after=st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö .,!?-", max_size=40),
       lower=st.booleans())
@settings(max_examples=300, deadline=None)
def test_valid_hetu_anywhere_is_removed(
    day: date, individual: int, sign_index: int, before: str, after: str, lower: bool
) -> None:
    code = make_hetu(day, individual, sign_index)
    assert hetu_is_valid(code)
    if lower:
        code = code.lower()
    out = redact(f"{before}{code}{after}")
    assert code not in out
    assert "[ID]" in out
    assert not re.search(r"\d{6}", out)


def test_generated_codes_cover_centuries() -> None:
    for day in (date(1899, 12, 31), date(1999, 1, 1), date(2005, 6, 15)):
        code = make_hetu(day, 123)
        assert hetu_is_valid(code)
        assert not hetu_is_valid(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert not hetu_is_valid(make_hetu(date(2000, 1, 1) - timedelta(days=1), 1))
