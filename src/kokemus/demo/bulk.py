"""Bulk writer for generated responses, answers and their rollups.

The demo story writes millions of rows, far beyond what ``do_submit_response`` (one
validated response per call) is for. Rows arrive as NumPy column arrays and are written

* on PostgreSQL with ``COPY … FROM STDIN (FORMAT BINARY)``, the binary tuples being
  assembled with NumPy (no Python loop per row): response ids are reserved as one block
  from the table's identity sequence, answer ids come from the column default;
* on SQLite with ``executemany`` in large transactions (``synchronous=OFF`` while writing).

Rollups (:class:`kokemus.analytics.models.DailyCount`) are aggregated in the same run with
the semantics of :func:`kokemus.analytics.rollups.keys_for`, from integer-coded keys
(``np.unique`` per batch), and added with an upsert at the end, so ``rollups verify`` passes.
Generated responses bypass the ``response_submitted`` signal on purpose (no follow-up cases or
notifications for synthetic data).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import numpy as np
from django.db import connection

from kokemus.analytics.models import NO_VALUE, DailyCount
from kokemus.responses.models import Answer, Response

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in Unix microseconds
PG_EPOCH_DAY = date(2000, 1, 1).toordinal()
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"

RESPONSE_COLUMNS = ["id", "organisation_id", "unit_id", "touchpoint_id", "survey_version_id",
                    "collection_point_id", "channel", "language", "submitted_at", "received_at",
                    "idempotency_key", "consent_contact", "contact", "consent_wording",
                    "respondent_token"]
ANSWER_COLUMNS = ["organisation_id", "response_id", "question_key", "question_type", "value",
                  "choice", "text"]
ROLLUP_COLUMNS = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
                  "question_key", "question_type", "day", "value", "choice", "count"]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- Binary COPY encoding ------------------------------------------------------------------

def _fixed(values: np.ndarray, kind: str, null: np.ndarray | None = None):
    """(n, width) uint8 matrix and byte lengths of one fixed-size binary field."""
    size = {"i8": 8, "i4": 4, "bool": 1}[kind]
    fmt = {"i8": ">i8", "i4": ">i4", "bool": "u1"}[kind]
    n = len(values)
    rec = np.empty(n, dtype=[("len", ">i4"), ("v", fmt)])
    rec["len"] = size
    rec["v"] = values
    lengths = np.full(n, 4 + size, dtype=np.int64)
    if null is not None and null.any():
        rec["len"][null] = -1
        lengths[null] = 4
    return rec.view(np.uint8).reshape(n, 4 + size), lengths


def _categorical(codes: np.ndarray, vocab: list[bytes]):
    """Variable-length field whose values come from a vocabulary (already encoded bytes)."""
    width = 4 + max((len(v) for v in vocab), default=0)
    table = np.zeros((len(vocab), width), dtype=np.uint8)
    lens = np.empty(len(vocab), dtype=np.int64)
    for i, v in enumerate(vocab):
        blob = len(v).to_bytes(4, "big", signed=True) + v
        table[i, :len(blob)] = np.frombuffer(blob, dtype=np.uint8)
        lens[i] = len(blob)
    return table[codes], lens[codes]


def _text(values, jsonb: bool = False):
    """Free text given as a sequence of str: encoded through its distinct values."""
    arr = np.asarray(values, dtype=object)
    uniq, inv = np.unique(arr, return_inverse=True)
    prefix = b"\x01" if jsonb else b""
    return _categorical(inv, [prefix + str(u).encode("utf-8") for u in uniq])


def encode_binary(fields: list) -> bytes:
    """One binary-COPY chunk (no header) from a list of (matrix, lengths) fields."""
    n = len(fields[0][1])
    count = np.empty(n, dtype=">i2")
    count[:] = len(fields)
    parts = [(count.view(np.uint8).reshape(n, 2), np.full(n, 2, dtype=np.int64)), *fields]
    matrix = np.hstack([m for m, _l in parts])
    mask = np.hstack([np.arange(m.shape[1])[None, :] < lens[:, None] for m, lens in parts])
    return matrix[mask].tobytes()


def _copy(table: str, columns: list[str], chunks) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with raw.copy(sql) as copy:
            copy.write(_COPY_HEADER)
            for chunk in chunks:
                copy.write(chunk)
            copy.write(_COPY_TRAILER)


# --- Writer --------------------------------------------------------------------------------

class BulkWriter:
    """Write batches of generated responses and answers, and collect their rollups.

    ``cps``: per collection-point index, a dict with organisation_id, unit_id,
    touchpoint_id (or None), survey_version_id, collection_point_id, channel.
    ``questions``: list of (question_key, question_type); code 0 must be the response key.
    ``choices``: vocabulary of Answer.choice, code 0 = "".
    ``days``: local dates, indexed by the day codes of the batches.
    """

    def __init__(self, cps: list[dict], questions: list[tuple[str, str]], choices: list[str],
                 days: list[date], languages: tuple[str, ...] = ("fi", "sv", "en")):
        self.cps = cps
        self.questions = questions
        self.choices = choices
        self.days = days
        self.languages = languages
        self.postgres = is_postgres()
        self.channels = sorted({cp["channel"] for cp in cps})
        cp_channel = np.array([self.channels.index(cp["channel"]) for cp in cps])
        self._cp_channel = cp_channel
        self._cp_org = np.array([cp["organisation_id"] for cp in cps], dtype=np.int64)
        self._cp_unit = np.array([cp["unit_id"] for cp in cps], dtype=np.int64)
        self._cp_tp = np.array([cp["touchpoint_id"] or 0 for cp in cps], dtype=np.int64)
        self._cp_version = np.array([cp["survey_version_id"] for cp in cps], dtype=np.int64)
        self._cp_id = np.array([cp["collection_point_id"] for cp in cps], dtype=np.int64)
        self._radix = [len(cps), len(languages), len(days), len(questions), 12, len(choices)]
        self._keys: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self.responses = 0
        self.answers = 0

    # ids -------------------------------------------------------------------------------
    def reserve_response_ids(self, n: int) -> int:
        """First id of a block of ``n`` response ids nobody else will get."""
        table = Response._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                seq = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s)", [seq])
                start = cursor.fetchone()[0]
                cursor.execute("SELECT setval(%s, %s)", [seq, start + n - 1])
                return int(start)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return int(cursor.fetchone()[0]) + 1

    # rollups ---------------------------------------------------------------------------
    def _rollup(self, cp: np.ndarray, lang: np.ndarray, day: np.ndarray, q: np.ndarray,
                value: np.ndarray, choice: np.ndarray) -> None:
        key = cp.astype(np.int64)
        for radix, part in zip(self._radix[1:], (lang, day, q, value + 1, choice),
                               strict=True):
            key = key * radix + part
        uniq, counts = np.unique(key, return_counts=True)
        self._keys.append(uniq)
        self._counts.append(counts)
        if len(self._keys) > 20:
            self._compact()

    def _compact(self) -> None:
        keys = np.concatenate(self._keys)
        counts = np.concatenate(self._counts)
        uniq, inv = np.unique(keys, return_inverse=True)
        self._keys = [uniq]
        self._counts = [np.bincount(inv, weights=counts, minlength=len(uniq)).astype(np.int64)]

    def rollup_counts(self) -> Counter:
        """The collected rollup keys, in the tuple form of ``rollups.keys_for``."""
        if not self._keys:
            return Counter()
        self._compact()
        keys, counts = self._keys[0], self._counts[0]
        parts = []
        rest = keys
        for radix in reversed(self._radix[1:]):
            parts.append(rest % radix)
            rest = rest // radix
        cp = rest
        choice, value1, q, day, lang = parts
        out: Counter = Counter()
        for c, lg, d, qi, v1, ch, n in zip(cp.tolist(), lang.tolist(), day.tolist(),
                                           q.tolist(), value1.tolist(), choice.tolist(),
                                           counts.tolist(), strict=True):
            qkey, qtype = self.questions[qi]
            out[(int(self._cp_org[c]), int(self._cp_unit[c]), int(self._cp_tp[c]),
                 self.channels[self._cp_channel[c]], self.languages[lg], qkey, qtype,
                 self.days[d], v1 - 1, self.choices[ch])] += n
        return out

    # batches ---------------------------------------------------------------------------
    def write_batch(self, r: dict, a: dict) -> None:
        """Write one batch.

        ``r`` (per response): id, cp, lang, day, submitted_us, received_us (Unix µs, UTC),
        consent (bool), contact (list of str, "" mostly), consent_wording (list of JSON str).
        ``a`` (per answer): resp (index into the batch), q, value (NO_VALUE = none),
        choice (code), text (dict {answer index: str}).
        """
        n = len(r["id"])
        cp = r["cp"]
        if self.postgres:
            self._copy_batch(r, a)
        else:
            self._sqlite_batch(r, a)
        zeros = np.zeros(n, dtype=np.int64)
        self._rollup(cp, r["lang"], r["day"], zeros, zeros + NO_VALUE, zeros)
        resp = a["resp"]
        # free-text answers roll up as value -1, choice "" (their value is already NO_VALUE)
        self._rollup(cp[resp], r["lang"][resp], r["day"][resp], a["q"], a["value"],
                     a["choice"])
        self.responses += n
        self.answers += len(resp)

    def _copy_batch(self, r: dict, a: dict) -> None:
        cp = r["cp"]
        n = len(cp)
        tp = self._cp_tp[cp]
        resp_fields = [
            _fixed(r["id"], "i8"),
            _fixed(self._cp_org[cp], "i8"),
            _fixed(self._cp_unit[cp], "i8"),
            _fixed(tp, "i8", null=tp == 0),
            _fixed(self._cp_version[cp], "i8"),
            _fixed(self._cp_id[cp], "i8"),
            _categorical(self._cp_channel[cp], [c.encode() for c in self.channels]),
            _categorical(r["lang"], [lg.encode() for lg in self.languages]),
            _fixed(r["submitted_us"] - PG_EPOCH_US, "i8"),
            _fixed(r["received_us"] - PG_EPOCH_US, "i8"),
            _categorical(np.zeros(n, dtype=np.int64), [b""]),
            _fixed(r["consent"].astype(np.uint8), "bool"),
            _text(r["contact"]),
            _text(r["consent_wording"], jsonb=True),
            _categorical(np.zeros(n, dtype=np.int64), [b""]),
        ]
        _copy(Response._meta.db_table, RESPONSE_COLUMNS, [encode_binary(resp_fields)])
        resp = a["resp"]
        ids = r["id"][resp]
        org = self._cp_org[cp][resp]
        qkeys = [k.encode() for k, _t in self.questions]
        qtypes = [t.encode() for _k, t in self.questions]
        choices = [c.encode() for c in self.choices]
        text_idx = np.fromiter(a["text"].keys(), dtype=np.int64, count=len(a["text"]))
        plain = np.ones(len(resp), dtype=bool)
        plain[text_idx] = False
        chunks = []
        for sel, texts in ((np.flatnonzero(plain), None),
                           (text_idx, list(a["text"].values()))):
            if not len(sel):
                continue
            value = a["value"][sel]
            fields = [
                _fixed(org[sel], "i8"),
                _fixed(ids[sel], "i8"),
                _categorical(a["q"][sel], qkeys),
                _categorical(a["q"][sel], qtypes),
                _fixed(value, "i4", null=value == NO_VALUE),
                _categorical(a["choice"][sel], choices),
                _text(texts) if texts is not None else _categorical(
                    np.zeros(len(sel), dtype=np.int64), [b""]),
            ]
            chunks.append(encode_binary(fields))
        _copy(Answer._meta.db_table, ANSWER_COLUMNS, chunks)

    def _sqlite_batch(self, r: dict, a: dict) -> None:
        cp = r["cp"]
        tp = self._cp_tp[cp]
        submitted = _sqlite_datetimes(r["submitted_us"])
        received = _sqlite_datetimes(r["received_us"])
        rows = list(zip(
            r["id"].tolist(), self._cp_org[cp].tolist(), self._cp_unit[cp].tolist(),
            [t or None for t in tp.tolist()], self._cp_version[cp].tolist(),
            self._cp_id[cp].tolist(), [self.channels[c] for c in self._cp_channel[cp]],
            [self.languages[lg] for lg in r["lang"].tolist()], submitted, received,
            [""] * len(cp), r["consent"].tolist(), r["contact"], r["consent_wording"],
            [""] * len(cp), strict=True))
        resp = a["resp"]
        texts = a["text"]
        values = a["value"].tolist()
        qs = a["q"].tolist()
        chs = a["choice"].tolist()
        ids = r["id"][resp].tolist()
        orgs = self._cp_org[cp][resp].tolist()
        arows = [(orgs[i], ids[i], self.questions[qs[i]][0], self.questions[qs[i]][1],
                  None if values[i] == NO_VALUE else values[i], self.choices[chs[i]],
                  texts.get(i, "")) for i in range(len(resp))]
        rt, at = Response._meta.db_table, Answer._meta.db_table
        _sqlite_executemany(f"INSERT INTO {rt} ({', '.join(RESPONSE_COLUMNS)}) VALUES "
                            f"({', '.join(['?'] * len(RESPONSE_COLUMNS))})", rows)
        _sqlite_executemany(f"INSERT INTO {at} ({', '.join(ANSWER_COLUMNS)}) VALUES "
                            f"({', '.join(['?'] * len(ANSWER_COLUMNS))})", arows)

    # finishing -------------------------------------------------------------------------
    def write_rollups(self) -> int:
        counts = self.rollup_counts()
        if not counts:
            return 0
        if not self.postgres:
            table = DailyCount._meta.db_table
            conflict = [c for c in ROLLUP_COLUMNS if c not in ("question_type", "count")]
            _sqlite_executemany(
                f"INSERT INTO {table} ({', '.join(ROLLUP_COLUMNS)}) VALUES "
                f"({', '.join(['?'] * len(ROLLUP_COLUMNS))}) "
                f"ON CONFLICT ({', '.join(conflict)}) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                [(*k[:7], k[7].isoformat(), *k[8:], n) for k, n in counts.items()])
            return len(counts)
        table = DailyCount._meta.db_table
        keys = list(counts)
        cols = list(zip(*keys, strict=True))
        n = len(keys)

        def cat(values):
            uniq = sorted(set(values))
            index = {v: i for i, v in enumerate(uniq)}
            return _categorical(np.array([index[v] for v in values], dtype=np.int64),
                                [u.encode() for u in uniq])

        fields = [
            _fixed(np.array(cols[0], dtype=np.int64), "i8"),
            _fixed(np.array(cols[1], dtype=np.int64), "i8"),
            _fixed(np.array(cols[2], dtype=np.int64), "i8"),
            cat(cols[3]), cat(cols[4]), cat(cols[5]), cat(cols[6]),
            _fixed(np.array([d.toordinal() - PG_EPOCH_DAY for d in cols[7]],
                            dtype=np.int64), "i4"),
            _fixed(np.array(cols[8], dtype=np.int64), "i4"),
            cat(cols[9]),
            _fixed(np.array([counts[k] for k in keys], dtype=np.int64), "i8"),
        ]
        conflict = [c for c in ROLLUP_COLUMNS if c not in ("question_type", "count")]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE kokemus_bulk_rollup "
                           f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
            cursor.execute("ALTER TABLE kokemus_bulk_rollup DROP COLUMN id")
        _copy("kokemus_bulk_rollup", ROLLUP_COLUMNS, [encode_binary(fields)])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(ROLLUP_COLUMNS)}) "
                f"SELECT {', '.join(ROLLUP_COLUMNS)} FROM kokemus_bulk_rollup "
                f"ON CONFLICT ({', '.join(conflict)}) "
                f"DO UPDATE SET count = {table}.count + excluded.count")
            cursor.execute("DROP TABLE kokemus_bulk_rollup")
        return n


def _sqlite_executemany(sql: str, rows: list) -> None:
    """executemany on the raw sqlite3 connection (inside Django's open transaction)."""
    connection.ensure_connection()
    connection.connection.executemany(sql, rows)


def _sqlite_datetimes(us: np.ndarray) -> list[str]:
    """Unix µs → the text Django stores for aware datetimes on SQLite (UTC, space)."""
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
    return [t.replace("T", " ") for t in text.tolist()]


def sqlite_fast_writes():
    """Context manager: relaxed durability while bulk-loading a throw-away SQLite demo."""
    from contextlib import contextmanager

    @contextmanager
    def manager():
        if is_postgres():
            yield
            return
        outside = not connection.in_atomic_block  # the safety level is fixed in a transaction
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-200000")
            if outside:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA temp_store=MEMORY")
        try:
            yield
        finally:
            if outside:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA synchronous=NORMAL")

    return manager()


def pg_fast_writes() -> None:
    """Inside the generating transaction on PostgreSQL: skip per-row foreign-key triggers
    while loading rows whose references were just read from the database (as pg_restore
    --disable-triggers). Needs a superuser; otherwise the ordinary, slower path is kept."""
    if not is_postgres():
        return
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


def consent_wording(question: dict, language: str, version_id: int, pick) -> str:
    return json.dumps({"question": question["key"], "language": language,
                       "text": pick(question["text"], language),
                       "survey_version": version_id}, ensure_ascii=False)


def utc_us(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)
