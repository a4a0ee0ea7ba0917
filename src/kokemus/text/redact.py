"""Removal of personal data from free-text comments before they are shown or exported.

Replacement tokens are language-neutral: ``[ID]``, ``[PHONE]``, ``[EMAIL]``, ``[ADDRESS]``,
``[NAME]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

ID_TOKEN, PHONE_TOKEN, EMAIL_TOKEN, ADDRESS_TOKEN, NAME_TOKEN = (
    "[ID]", "[PHONE]", "[EMAIL]", "[ADDRESS]", "[NAME]"
)

_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
            "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}

# Lowercase century signs and check characters are accepted because people type them so;
# the look-arounds keep the code from matching inside a longer number.
_HETU_RE = re.compile(
    r"(?<![0-9])(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])(?![0-9])", re.IGNORECASE
)
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zåäö]{2,}(?![\w])", re.IGNORECASE
)
# International numbers (+358, 00358, +46, +1 ...) and Finnish national numbers starting with
# 0 (mobiles 04x/050, landlines 09, 02..., service 010/020/030). Dots are not separators so
# dates ("12.03.2024") and prices ("25,90") never match; the digit count is checked afterwards.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[1-9]\d{0,2}(?:[\s-]?\(0\))?(?:[\s-]?\d{1,4}){2,5}"
    r"|\(?0\d{1,3}\)?(?:[\s-]?\d{2,4}){1,3})(?![\d])"
)
_STREET_SUFFIXES = (
    # Finnish nominative and common inflected forms ("asun Koivukujalla 5").
    "katu|kadulla|kadun|kadulle|tie|tiellä|tien|tielle|kuja|kujalla|kujan|polku|polulla|"
    "polun|väylä|väylällä|väylän|raitti|raitilla|rinne|rinteellä|kaari|kaarella|ranta|"
    "rannassa|puistikko|aukio|aukiolla|tori|torilla|penger|tanhua|kierto|mäki|mäellä|"
    # Swedish.
    "gatan|gata|vägen|väg|gränd|gränden|stigen|backen|torget|allén|kajen|plan|"
    # English.
    "street|road|avenue|lane|drive|way|close|square"
)
_ADDRESS_RE = re.compile(
    rf"\b[A-ZÅÄÖ][\wåäöÅÄÖ-]*?(?:{_STREET_SUFFIXES})\s+\d{{1,4}}(?:\s?[A-Za-z]\b)?"
    rf"(?:\s?\d{{1,3}}\b)?(?:\s*(?:as\.|bst\.|lgh)\s*\d{{1,4}})?",
)
_EN_ADDRESS_RE = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr)\b\.?"
)
# A capitalised word introduced by "nimeltä", "named" etc. is somebody's name.
_NAME_WORD = r"[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?"
_INTRO_RE = re.compile(
    rf"(?:\b(?:nimeltä|nimeltään|nimellä|named|called|vid namn|heter|hette|kallas)\s+)"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
)
# A title followed by a capitalised word ("hoitaja Liisa", "Dr. Smith", "farmaceut Eva").
_TITLE_RE = re.compile(
    rf"(?:\b(?:(?:[Ss]airaanhoitaja|[Ll]ähihoitaja|[Hh]oitaja|[Ff]armaseutti|[Pp]roviisori|"
    rf"[Ll]ääkäri|[Tt]ohtori|[Rr]ouva|[Hh]erra|[Ss]juksköterska|[Ss]jukskötare|[Ll]äkare|"
    rf"[Ff]armaceut|[Aa]potekare|[Dd]oktor|[Nn]urse|[Dd]octor|[Pp]harmacist|[Ff]ru|[Hh]err)"
    rf"[ \t]+|(?:Dr|Mrs|Mr|Ms|Miss)\.?[ \t]+))({_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)


def hetu_is_valid(code: str) -> bool:
    """True if ``code`` is a Finnish personal identity code with a correct check character.

    The check character is ``DDMMYYNNN mod 31`` indexed into "0123456789ABCDEFHJKLMNPRSTUVWXY";
    the date must exist and the individual number must be 002–999.
    """
    m = _HETU_RE.fullmatch(code.strip())
    return bool(m) and _valid_parts(*m.groups())


def _valid_parts(dd: str, mm: str, yy: str, sign: str, nnn: str, check: str) -> bool:
    century = _CENTURY.get(sign.upper())
    if century is None or nnn in ("000", "001"):
        return False
    try:
        date(century + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    return _HETU_CHECK[int(dd + mm + yy + nnn) % 31] == check.upper()


def hetu_check_char(ddmmyynnn: str) -> str:
    """Check character for the nine digits ``DDMMYYNNN`` (useful for generating test codes)."""
    return _HETU_CHECK[int(ddmmyynnn) % 31]


def _hetu_sub(m: re.Match[str]) -> str:
    return ID_TOKEN if _valid_parts(*m.groups()) else m.group(0)


def _phone_sub(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = sum(c.isdigit() for c in text)
    international = text.startswith(("+", "00"))
    # Finnish numbers have 6–10 digits after the leading zero; international 8–15 in total.
    ok = 8 <= digits <= 15 if international else 7 <= digits <= 11
    return PHONE_TOKEN if ok else text


@lru_cache(maxsize=256)
def _staff_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives: set[str] = set()
    full: set[str] = set()
    for name in names:
        parts = [p for p in re.split(r"\s+", name.strip()) if p]
        if not parts:
            continue
        if len(parts) > 1:
            full.add(r"\s+".join(re.escape(p) for p in parts))
        for part in parts:
            if len(part) < 2:
                continue
            alternatives.update(_name_stems(part))
    if not alternatives and not full:
        return None
    # Single names must be capitalised (to spare common words such as "anna" = give) but may
    # carry a Finnish/Swedish case ending ("Mikolle", "Annan", "Lisas"); full names match in
    # any case.
    single = "|".join(sorted(alternatives, key=len, reverse=True))
    pieces = []
    if full:
        pieces.append(r"(?i:" + "|".join(sorted(full, key=len, reverse=True)) + r")")
    if single:
        pieces.append(rf"(?:{single})[a-zåäö]{{0,6}}(?::[a-zåäö]{{1,6}})?")
    return re.compile(r"(?<![\w])(?:" + "|".join(pieces) + r")(?![\w])")


def _name_stems(name: str) -> set[str]:
    name = name[:1].upper() + name[1:].lower()
    stems = {re.escape(name)}
    if len(name) >= 4 and name[-1].lower() in "aeiouyäö":
        stem = name[:-1]
        stems.add(re.escape(stem))
        # Finnish consonant gradation: Mikko -> Mikolle, Pekka -> Pekalle, Matti -> Matille.
        if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] in "kpt":
            stems.add(re.escape(stem[:-1]))
    if name.endswith("nen") and len(name) > 5:
        # Finnish -nen surnames inflect through -se-: Virtanen -> Virtasen, Virtaselle.
        stems.add(re.escape(name[:-3] + "s"))
    return stems


def redact(text: str, staff_names: Iterable[str] = ()) -> str:
    """Replace personal data in ``text`` with ``[ID]``, ``[PHONE]``, ``[EMAIL]``, ``[ADDRESS]``
    and ``[NAME]``.

    ``staff_names`` comes from the organisation's member list; other names are removed when
    introduced by a title or a phrase such as "nimeltä" / "named". Identity codes are replaced
    only when their check character is valid, so ordinary numbers stay readable.
    """
    if not text:
        return text
    out = _EMAIL_RE.sub(EMAIL_TOKEN, text)
    out = _HETU_RE.sub(_hetu_sub, out)
    out = _ADDRESS_RE.sub(ADDRESS_TOKEN, out)
    out = _EN_ADDRESS_RE.sub(ADDRESS_TOKEN, out)
    out = _PHONE_RE.sub(_phone_sub, out)
    names = tuple(sorted({n for n in staff_names if n and n.strip()}))
    if names:
        pattern = _staff_pattern(names)
        if pattern is not None:
            out = pattern.sub(NAME_TOKEN, out)
    out = _INTRO_RE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME_TOKEN, out)
    out = _TITLE_RE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME_TOKEN, out)
    return out
