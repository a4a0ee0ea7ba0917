"""Bulk writer for generated responses, answers and their rollups.

The demo story writes millions of rows, far beyond what ``do_submit_response`` (one
validated response per call) is for. Rows arrive as NumPy column arrays and are written

* on PostgreSQL with ``COPY … FROM STDIN (FORMAT BINARY)``, the binary tuples being
  assembled with NumPy (no Python loop per row): response ids are reserved as one block
  from the table's identity sequence, answer and rollup ids likewise (no ``nextval()`` per
  row: at 87 M answers that alone was about 35 s of the load);
* on SQLite with ``executemany`` in large transactions (``synchronous=OFF`` while writing).

Rollups (:class:`kokemus.analytics.models.DailyCount`) are aggregated in the same run with
the semantics of :func:`kokemus.analytics.rollups.keys_for`, from integer-coded keys
(``np.unique`` per batch), and added at the end (PostgreSQL: binary COPY, merged with any
existing keys in SQL; SQLite: one upsert), so ``rollups verify`` passes. The per-unit rollups
(:class:`~kokemus.analytics.models.UnitDayCount`) are summed from the same arrays and added
(a plain COPY when the days are new to the organisations, else an upsert).
For large loads :func:`indexes_deferred` drops the secondary indexes and rebuilds them after;
``BulkWriter.prepare_batch`` (no database access) can run in a worker thread while
``send_batch`` writes the previous batch.
Generated responses bypass the ``response_submitted`` signal on purpose (no follow-up cases or
notifications for synthetic data).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime

import numpy as np
from django.db import connection

from kokemus.analytics.models import NO_VALUE, DailyCount, UnitDayCount
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
                  "choice", "text", "submitted_at"]  # submitted_at: the response's
ROLLUP_COLUMNS = ["organisation_id", "unit_id", "touchpoint_id", "channel", "language",
                  "question_key", "question_type", "day", "value", "choice", "count"]
UNIT_ROLLUP_COLUMNS = ["organisation_id", "unit_id", "question_type", "day", "value", "count"]


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


def reserve_ids(table: str, n: int) -> int:
    """PostgreSQL: first id of a block of ``n`` ids of the table's identity sequence that
    nobody else will get (one ``nextval`` and one ``setval``, not one per row)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        seq = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [seq])
        start = cursor.fetchone()[0]
        if n > 1:
            cursor.execute("SELECT setval(%s, %s)", [seq, start + n - 1])
        return int(start)


def _copy(table: str, columns: list[str], chunks) -> float:
    """COPY the chunks into the table; returns the seconds it took."""
    start = time.perf_counter()
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with raw.copy(sql) as copy:
            copy.write(_COPY_HEADER)
            for chunk in chunks:
                copy.write(chunk)
            copy.write(_COPY_TRAILER)
    return time.perf_counter() - start


def encode_grouped(n: int, fields: list) -> bytes:
    """Binary-COPY rows like :func:`encode_binary`, for rows whose variable-length fields
    come from small vocabularies: rows are grouped by their vocabulary codes (and NULL
    flags), and each group is one NumPy record array of fixed layout turned into bytes —
    no padded (rows × widest row) matrix and no mask. Row order changes (irrelevant to
    COPY). ``fields``: ``("i8" | "i4", values, null mask or None)`` or
    ``("cat", codes, vocabulary of bytes)``."""
    key = np.zeros(n, dtype=np.int64)
    for kind, values, extra in fields:
        if kind == "cat":
            key = key * len(extra) + values
        elif extra is not None:
            key = key * 2 + extra.astype(np.int64)
    groups, inverse = np.unique(key, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(groups) + 1))
    parts = []
    for g in range(len(groups)):
        idx = order[bounds[g]:bounds[g + 1]]
        first = idx[0]
        layout: list = [("count", ">i2")]
        fill: list = []
        for i, (kind, values, extra) in enumerate(fields):
            if kind == "cat":
                blob = extra[values[first]]
                blob = len(blob).to_bytes(4, "big", signed=True) + blob
                layout.append((f"b{i}", "u1", (len(blob),)))
                fill.append((f"b{i}", np.frombuffer(blob, dtype=np.uint8)))
            elif extra is not None and extra[first]:  # NULL: length -1, no bytes
                layout.append((f"l{i}", ">i4"))
                fill.append((f"l{i}", -1))
            else:
                size = 8 if kind == "i8" else 4
                layout += [(f"l{i}", ">i4"), (f"v{i}", ">" + kind)]
                fill += [(f"l{i}", size), (f"v{i}", values[idx])]
        rec = np.empty(len(idx), dtype=layout)
        rec["count"] = len(fields)
        for name, value in fill:
            rec[name] = value
        parts.append(rec.tobytes())
    return b"".join(parts)


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
        # Rollup keys are per (organisation, unit, touchpoint, channel): collection points
        # sharing those (two surveys at one place) share their keys.
        groups = sorted({(int(o), int(u), int(t), int(c)) for o, u, t, c in zip(
            self._cp_org, self._cp_unit, self._cp_tp, cp_channel, strict=True)})
        index = {g: i for i, g in enumerate(groups)}
        self._group_index = index
        self._cp_group = np.array([index[(int(o), int(u), int(t), int(c))] for o, u, t, c in zip(
            self._cp_org, self._cp_unit, self._cp_tp, cp_channel, strict=True)], dtype=np.int64)
        garr = np.array(groups, dtype=np.int64).reshape(len(groups), 4)
        self._g_org, self._g_unit, self._g_tp, self._g_channel = garr.T
        self._radix = [len(groups), len(languages), len(days), len(questions), 12, len(choices)]
        # answer ids reserved with response ids: (first response id, responses, first
        # answer id); a response has at most one answer per question
        self._answer_blocks: list[tuple[int, int, int]] = []
        self._keys: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self.responses = 0
        self.answers = 0
        self.timing = {"encode_s": 0.0, "copy_s": 0.0, "rollup_s": 0.0}

    # ids -------------------------------------------------------------------------------
    def reserve_response_ids(self, n: int) -> int:
        """First id of a block of ``n`` response ids nobody else will get. On PostgreSQL
        also reserves ids for their answers (``n`` × questions; unused ones are gaps)."""
        table = Response._meta.db_table
        if self.postgres:
            start = reserve_ids(table, n)
            per = len(self.questions)
            self._answer_blocks.append((start, n, reserve_ids(Answer._meta.db_table, n * per)))
            return start
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return int(cursor.fetchone()[0]) + 1

    def _answer_ids(self, response_ids: np.ndarray, answers: int) -> np.ndarray | None:
        """Ids for a batch's answers from the block reserved with its responses (None: no
        block, the column default numbers them)."""
        first, n = int(response_ids[0]), len(response_ids)
        per = len(self.questions)
        for start, size, answer_start in self._answer_blocks:
            if start <= first and first + n <= start + size:
                if answers > n * per:
                    raise ValueError(f"{answers} answers for {n} responses: more than one "
                                     f"per question ({per})")
                base = answer_start + (first - start) * per
                return base + np.arange(answers, dtype=np.int64)
        return None

    # rollups ---------------------------------------------------------------------------
    def _rollup(self, cp: np.ndarray, lang: np.ndarray, day: np.ndarray, q: np.ndarray,
                value: np.ndarray, choice: np.ndarray) -> None:
        key = self._encode(self._cp_group[cp], lang, day, q, value + 1, choice)
        uniq, counts = np.unique(key, return_counts=True)
        self._keys.append(uniq)
        self._counts.append(counts)
        if len(self._keys) > 20:
            self._compact()

    def _encode(self, group, lang, day, q, value1, choice) -> np.ndarray:
        """One integer per rollup key (mixed radix; :meth:`_decode` reverses it)."""
        key = group
        for radix, part in zip(self._radix[1:], (lang, day, q, value1, choice), strict=True):
            key = key * radix + part
        return key

    def _compact(self) -> None:
        keys = np.concatenate(self._keys)
        counts = np.concatenate(self._counts)
        uniq, inv = np.unique(keys, return_inverse=True)
        self._keys = [uniq]
        self._counts = [np.bincount(inv, weights=counts, minlength=len(uniq)).astype(np.int64)]

    # batches ---------------------------------------------------------------------------
    def write_batch(self, r: dict, a: dict) -> None:
        """Write one batch (:meth:`prepare_batch`, then :meth:`send_batch`).

        ``r`` (per response): id, cp, lang, day, submitted_us, received_us (Unix µs, UTC),
        consent (bool), contact (list of str, "" mostly), consent_wording (list of JSON str).
        ``a`` (per answer): resp (index into the batch), q, value (NO_VALUE = none),
        choice (code), text (dict {answer index: str}).
        """
        self.send_batch(self.prepare_batch(r, a))

    def prepare_batch(self, r: dict, a: dict) -> tuple:
        """Encode one batch and add its rollup counts, without touching the database (so it
        can run in a worker thread while the previous batch is being sent)."""
        n = len(r["id"])
        cp = r["cp"]
        start = time.perf_counter()
        payload = self._copy_batch(r, a) if self.postgres else self._sqlite_batch(r, a)
        written = time.perf_counter()
        self.timing["encode_s"] += written - start
        zeros = np.zeros(n, dtype=np.int64)
        self._rollup(cp, r["lang"], r["day"], zeros, zeros + NO_VALUE, zeros)
        resp = a["resp"]
        # free-text answers roll up as value -1, choice "" (their value is already NO_VALUE)
        self._rollup(cp[resp], r["lang"][resp], r["day"][resp], a["q"], a["value"],
                     a["choice"])
        self.responses += n
        self.answers += len(resp)
        self.timing["rollup_s"] += time.perf_counter() - written
        return payload

    def send_batch(self, payload: tuple) -> None:
        """Write a prepared batch (COPY on PostgreSQL, executemany on SQLite)."""
        start = time.perf_counter()
        (rsql, rows), (asql, arows) = payload
        if self.postgres:  # the "sql" parts are the COPY column lists
            _copy(Response._meta.db_table, rsql, rows)
            _copy(Answer._meta.db_table, asql, arows)
        else:
            _sqlite_executemany(rsql, rows)
            _sqlite_executemany(asql, arows)
        self.timing["copy_s"] += time.perf_counter() - start

    def _copy_batch(self, r: dict, a: dict) -> tuple:
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
        resp_chunks = [encode_binary(resp_fields)]
        resp = a["resp"]
        ids = r["id"][resp]
        answer_submitted = r["submitted_us"][resp] - PG_EPOCH_US
        org = self._cp_org[cp][resp]
        qkeys = [k.encode() for k, _t in self.questions]
        qtypes = [t.encode() for _k, t in self.questions]
        choices = [c.encode() for c in self.choices]
        text_idx = np.fromiter(a["text"].keys(), dtype=np.int64, count=len(a["text"]))
        answer_ids = self._answer_ids(r["id"], len(resp))
        columns = ANSWER_COLUMNS if answer_ids is None else ["id", *ANSWER_COLUMNS]

        def with_id(sel, fields, grouped=False):  # the id field first when ids are given
            if answer_ids is None:
                return fields
            ids = answer_ids[sel]
            return [("i8", ids, None) if grouped else _fixed(ids, "i8"), *fields]
        plain = np.ones(len(resp), dtype=bool)
        plain[text_idx] = False
        chunks = []
        sel = np.flatnonzero(plain)
        if len(sel):  # answers without text: every variable field from a vocabulary
            value = a["value"][sel]
            chunks.append(encode_grouped(len(sel), with_id(sel, [
                ("i8", org[sel], None), ("i8", ids[sel], None), ("cat", a["q"][sel], qkeys),
                ("cat", a["q"][sel], qtypes), ("i4", value, value == NO_VALUE),
                ("cat", a["choice"][sel], choices),
                ("cat", np.zeros(len(sel), dtype=np.int64), [b""]),
                ("i8", answer_submitted[sel], None)], grouped=True)))
        sel = text_idx
        if len(sel):  # answers with free text (any length)
            value = a["value"][sel]
            chunks.append(encode_binary(with_id(sel, [
                _fixed(org[sel], "i8"), _fixed(ids[sel], "i8"),
                _categorical(a["q"][sel], qkeys), _categorical(a["q"][sel], qtypes),
                _fixed(value, "i4", null=value == NO_VALUE),
                _categorical(a["choice"][sel], choices), _text(list(a["text"].values())),
                _fixed(answer_submitted[sel], "i8")])))
        return (RESPONSE_COLUMNS, resp_chunks), (columns, chunks)

    def _sqlite_batch(self, r: dict, a: dict) -> tuple:
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
        # columns as object arrays picked by code, zipped once (no Python work per field)
        qkeys = np.array([k for k, _t in self.questions], dtype=object)
        qtypes = np.array([t for _k, t in self.questions], dtype=object)
        values = a["value"].astype(object)
        values[a["value"] == NO_VALUE] = None
        text = np.full(len(resp), "", dtype=object)
        if a["text"]:
            text[np.fromiter(a["text"].keys(), dtype=np.int64, count=len(a["text"]))] = \
                list(a["text"].values())
        arows = zip(self._cp_org[cp][resp].tolist(), r["id"][resp].tolist(),
                    qkeys[a["q"]].tolist(), qtypes[a["q"]].tolist(), values.tolist(),
                    np.array(self.choices, dtype=object)[a["choice"]].tolist(), text.tolist(),
                    np.array(submitted, dtype=object)[resp].tolist(), strict=True)
        rt, at = Response._meta.db_table, Answer._meta.db_table
        return ((f"INSERT INTO {rt} ({', '.join(RESPONSE_COLUMNS)}) VALUES "
                 f"({', '.join(['?'] * len(RESPONSE_COLUMNS))})", rows),
                (f"INSERT INTO {at} ({', '.join(ANSWER_COLUMNS)}) VALUES "
                 f"({', '.join(['?'] * len(ANSWER_COLUMNS))})", list(arows)))

    # finishing -------------------------------------------------------------------------
    def rollup_arrays(self) -> dict[str, np.ndarray] | None:
        """The collected rollup keys decoded into code arrays (no Python loop per key)."""
        if not self._keys:
            return None
        self._compact()
        return self._decode(self._keys[0], self._counts[0])

    def _decode(self, rest: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        parts = []
        for radix in reversed(self._radix[1:]):
            parts.append(rest % radix)
            rest = rest // radix
        choice, value1, q, day, lang = parts
        return {"group": rest, "lang": lang, "day": day, "q": q, "value": value1 - 1,
                "choice": choice, "count": counts}

    def write_rollups(self) -> int:
        """Add the collected counts to the rollups: one upsert on SQLite; on PostgreSQL one
        binary COPY, after the keys that already exist in those days were folded into the
        counts and deleted. Then the per-unit rollups (:meth:`_write_unit_rollups`)."""
        k = self.rollup_arrays()
        if k is None:
            return 0
        n = len(k["count"])
        table = DailyCount._meta.db_table
        conflict = [c for c in ROLLUP_COLUMNS if c not in ("question_type", "count")]
        orgs = sorted(set(self._g_org[np.unique(k["group"])].tolist()))
        used = np.unique(k["day"])
        span = (self.days[used[0]], self.days[used[-1]])
        # decided before anything is written: are these days new to these organisations?
        fresh_units = not _has_rows(UnitDayCount, orgs, *span)
        start = time.perf_counter()
        written = self._write_rollups(k, n, table, conflict, orgs, span)
        middle = time.perf_counter()
        self._write_unit_rollups(k, fresh_units)
        self.timing["rollups_daily_s"] = middle - start
        self.timing["rollups_unit_s"] = time.perf_counter() - middle
        return written

    def unit_rollup_arrays(self, k: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``rollup_arrays`` summed per (organisation, unit, question type, day, value): the
        keys of UnitDayCount (touchpoint, channel, language, question and choice dropped)."""
        types = sorted({t for _q, t in self.questions})
        q_type = np.array([types.index(t) for _q, t in self.questions], dtype=np.int64)
        units, g_unit = np.unique(self._g_unit, return_inverse=True)
        key = g_unit[k["group"]]
        for radix, part in ((len(types), q_type[k["q"]]), (len(self.days), k["day"]),
                            (12, k["value"] + 1)):
            key = key * radix + part
        uniq, inv = np.unique(key, return_inverse=True)
        counts = np.bincount(inv, weights=k["count"], minlength=len(uniq)).astype(np.int64)
        value1, rest = uniq % 12, uniq // 12
        day, rest = rest % len(self.days), rest // len(self.days)
        qtype, unit = rest % len(types), rest // len(types)
        unit_org = dict(zip(self._g_unit.tolist(), self._g_org.tolist(), strict=True))
        org = np.array([unit_org[u] for u in units.tolist()], dtype=np.int64)[unit]
        return {"organisation": org, "unit": units[unit], "qtype": qtype, "types": types,
                "day": day, "value": value1 - 1, "count": counts}

    def _write_unit_rollups(self, k, fresh: bool) -> None:
        """Add the new counts, summed per unit, to the per-unit rollups (slot 0): a plain
        COPY / INSERT when these days had none (a fresh load), else an upsert that adds."""
        u = self.unit_rollup_arrays(k)
        n = len(u["count"])
        table = UnitDayCount._meta.db_table
        columns = ", ".join(UNIT_ROLLUP_COLUMNS)
        add = (f"ON CONFLICT (organisation_id, question_type, day, value, unit_id, slot) "
               f"DO UPDATE SET count = {table}.count + excluded.count")
        if self.postgres:
            day_numbers = np.array([d.toordinal() - PG_EPOCH_DAY for d in self.days],
                                   dtype=np.int64)
            fields = [("i8", u["organisation"], None), ("i8", u["unit"], None),
                      ("cat", u["qtype"], [t.encode() for t in u["types"]]),
                      ("i4", day_numbers[u["day"]], None), ("i4", u["value"], None),
                      ("i8", u["count"], None)]
            if fresh:
                ids = reserve_ids(table, n) + np.arange(n, dtype=np.int64)
                _copy(table, ["id", *UNIT_ROLLUP_COLUMNS],
                      [encode_grouped(n, [("i8", ids, None), *fields])])
                return
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TEMP TABLE kokemus_bulk_units AS SELECT {columns} "
                               f"FROM {table} WHERE false")
            _copy("kokemus_bulk_units", UNIT_ROLLUP_COLUMNS, [encode_grouped(n, fields)])
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM "
                               f"kokemus_bulk_units ORDER BY organisation_id, question_type, "
                               f"day, value, unit_id {add}")
                cursor.execute("DROP TABLE kokemus_bulk_units")
            return
        days = np.array([d.isoformat() for d in self.days], dtype=object)
        types = np.array(u["types"], dtype=object)
        _sqlite_executemany(
            f"INSERT INTO {table} ({columns}) VALUES "
            f"({', '.join(['?'] * len(UNIT_ROLLUP_COLUMNS))}) {'' if fresh else add}",
            zip(u["organisation"].tolist(), u["unit"].tolist(), types[u["qtype"]].tolist(),
                days[u["day"]].tolist(), u["value"].tolist(), u["count"].tolist(),
                strict=True))

    def _fold_existing(self, k: dict[str, np.ndarray], orgs: list[int],
                       span: tuple[date, date]) -> tuple[dict[str, np.ndarray], list[int]]:
        """PostgreSQL: the DailyCount rows (any slot) of these organisations and days whose
        keys the arrays can express, added into a copy of the arrays; returns it and those
        rows' ids (to delete before the merged keys are copied in). Rows of other units,
        questions or choices stay as they are: no new key can equal theirs."""
        codes = [self._group_index, {c: i for i, c in enumerate(self.channels)},
                 {lg: i for i, lg in enumerate(self.languages)},
                 {tuple(q): i for i, q in enumerate(self.questions)},
                 {d: i for i, d in enumerate(self.days)},
                 {c: i for i, c in enumerate(self.choices)}]
        groups, channels, languages, questions, days, choices = codes
        ids, rows = [], []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, organisation_id, unit_id, touchpoint_id, channel, language, "
                f"question_key, question_type, day, value, choice, count "
                f"FROM {DailyCount._meta.db_table} WHERE organisation_id = ANY(%s) "
                f"AND day BETWEEN %s AND %s", [orgs, *span])
            for pk, o, u, t, ch, lg, qk, qt, d, v, c, n in cursor.fetchall():
                try:
                    row = (groups[(o, u, t, channels[ch])], languages[lg], days[d],
                           questions[(qk, qt)], v + 1, choices[c], n)
                except KeyError:
                    continue
                if 0 <= v + 1 < 12:
                    ids.append(pk)
                    rows.append(row)
        if not rows:
            return k, ids
        old = np.array(rows, dtype=np.int64)
        key = self._encode(*old[:, :6].T)
        new = self._encode(k["group"], k["lang"], k["day"], k["q"], k["value"] + 1, k["choice"])
        uniq, inv = np.unique(np.concatenate([new, key]), return_inverse=True)
        counts = np.bincount(inv, weights=np.concatenate([k["count"], old[:, 6]]),
                             minlength=len(uniq)).astype(np.int64)
        return self._decode(uniq, counts), ids

    def _write_rollups(self, k, n, table, conflict, orgs, span) -> int:
        cp = k["group"]
        if not self.postgres:
            qkeys = np.array([q for q, _t in self.questions], dtype=object)
            qtypes = np.array([t for _q, t in self.questions], dtype=object)
            days = np.array([d.isoformat() for d in self.days], dtype=object)
            channels = np.array(self.channels, dtype=object)
            languages = np.array(self.languages, dtype=object)
            choices = np.array(self.choices, dtype=object)

            def rank(vocabulary):  # code → position of its text in sorted order
                order = np.argsort(np.array(vocabulary, dtype=object))
                out = np.empty(len(order), dtype=np.int64)
                out[order] = np.arange(len(order))
                return out
            # In the unique index's order: B-tree inserts at the end, not all over the index
            # (several times faster once the index outgrows the page cache).
            order = np.lexsort((
                rank(self.choices)[k["choice"]], k["value"], k["day"],
                rank([q for q, _t in self.questions])[k["q"]],
                rank(self.languages)[k["lang"]],
                rank(self.channels)[self._g_channel[cp]],
                self._g_tp[cp], self._g_unit[cp], self._g_org[cp]))
            cp = cp[order]
            k = {name: column[order] for name, column in k.items()}
            rows = zip(self._g_org[cp].tolist(), self._g_unit[cp].tolist(),
                       self._g_tp[cp].tolist(), channels[self._g_channel[cp]].tolist(),
                       languages[k["lang"]].tolist(), qkeys[k["q"]].tolist(),
                       qtypes[k["q"]].tolist(), days[k["day"]].tolist(), k["value"].tolist(),
                       choices[k["choice"]].tolist(), k["count"].tolist(), strict=True)
            _sqlite_executemany(
                f"INSERT INTO {table} ({', '.join(ROLLUP_COLUMNS)}) VALUES "
                f"({', '.join(['?'] * len(ROLLUP_COLUMNS))}) "
                f"ON CONFLICT ({', '.join(conflict)}, slot) "
                f"DO UPDATE SET count = {table}.count + excluded.count", rows)
            return n
        day_numbers = np.array([d.toordinal() - PG_EPOCH_DAY for d in self.days],
                               dtype=np.int64)

        def chunks(ids: np.ndarray | None):
            for i in range(0, n, 500_000):
                part = slice(i, i + 500_000)
                c = cp[part]
                yield encode_grouped(len(c), [
                    *([("i8", ids[part], None)] if ids is not None else []),
                    ("i8", self._g_org[c], None), ("i8", self._g_unit[c], None),
                    ("i8", self._g_tp[c], None),
                    ("cat", self._g_channel[c], [ch.encode() for ch in self.channels]),
                    ("cat", k["lang"][part], [lg.encode() for lg in self.languages]),
                    ("cat", k["q"][part], [q.encode() for q, _t in self.questions]),
                    ("cat", k["q"][part], [t.encode() for _q, t in self.questions]),
                    ("i4", day_numbers[k["day"][part]], None), ("i4", k["value"][part], None),
                    ("cat", k["choice"][part], [ch.encode() for ch in self.choices]),
                    ("i8", k["count"][part], None)])
        # Keys that exist already (few: the rows of earlier loads and demo steps in the same
        # days, summed over their slots) are folded into the new counts and deleted, then
        # everything is one COPY: no per-row ON CONFLICT probing, and it works while the
        # unique index is deferred.
        if _has_rows(DailyCount, orgs, *span):
            k, stale = self._fold_existing(k, orgs, span)
            n = len(k["count"])
            cp = k["group"]
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [stale])
        ids = reserve_ids(table, n) + np.arange(n, dtype=np.int64)
        _copy(table, ["id", *ROLLUP_COLUMNS], chunks(ids))
        return n


def _has_rows(model, organisations: list[int], first: date, last: date) -> bool:
    """Whether the rollup table has rows of these organisations in these days."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {model._meta.db_table} WHERE organisation_id IN "
            f"({', '.join(['%s'] * len(organisations))}) AND day BETWEEN %s AND %s)",
            [*organisations, first, last])
        return bool(cursor.fetchone()[0])


def _sqlite_executemany(sql: str, rows) -> None:
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
                # The generated rows reference ids just read from the database (as
                # pg_fast_writes skips the foreign-key triggers on PostgreSQL).
                cursor.execute("PRAGMA foreign_keys=OFF")
        try:
            yield
        finally:
            if outside:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA synchronous=NORMAL")
                    cursor.execute("PRAGMA foreign_keys=ON")

    return manager()


def pg_fast_writes() -> None:
    """Inside the generating transaction on PostgreSQL: skip per-row foreign-key triggers
    while loading rows whose references were just read from the database (as pg_restore
    --disable-triggers). Needs a superuser; otherwise the ordinary, slower path is kept."""
    if not is_postgres():
        return
    from django.db import DatabaseError, transaction

    with connection.cursor() as cursor:
        # Throw-away synthetic data: no need to wait for the WAL flush at commit; room to
        # sort when indexes are rebuilt (both for this transaction only).
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


@contextmanager
def indexes_deferred(tables: list[str], enabled: bool = True):
    """For a large load inside one transaction: drop the tables' secondary indexes (on
    PostgreSQL also unique constraints of plain tables, and primary keys that no foreign key
    refers to) and build them again at the end, several times faster than maintaining them
    row by row. The tables stay locked until the
    transaction ends (a loading tool's trade-off). On a partitioned PostgreSQL table the
    parent's indexes are dropped and rebuilt (with their partitions' indexes)."""
    if not enabled:
        yield []
        return
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                "WHERE c.relname = ANY(%s) "
                "AND c.relnamespace = current_schema()::regnamespace "
                "AND NOT i.indisprimary AND NOT i.indisunique "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
                "                WHERE k.conindid = i.indexrelid) "
                "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) "
                "ORDER BY 1", [list(tables)])
        else:
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND upper(sql) NOT LIKE 'CREATE UNIQUE%%' "
                f"AND tbl_name IN ({', '.join(['%s'] * len(tables))}) ORDER BY name",
                list(tables))
        indexes = cursor.fetchall()
        constraints = []
        if is_postgres():
            # unique constraints of plain tables, and primary keys no foreign key refers to
            # (a sorted build is about three times cheaper than inserting row by row): dropped
            # and added again
            cursor.execute(
                "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                "JOIN pg_class c ON c.oid = k.conrelid WHERE c.relname = ANY(%s) "
                "AND c.relnamespace = current_schema()::regnamespace AND k.conparentid = 0 "
                "AND ((k.contype = 'u' AND c.relkind = 'r') OR (k.contype = 'p' AND NOT EXISTS "
                "     (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                "      AND f.confrelid = c.oid))) "
                "ORDER BY k.contype, 1, 2", [list(tables)])
            constraints = cursor.fetchall()
            for table, name, _definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"' if not is_postgres() else f"DROP INDEX {name}")
    yield [name for name, _d in indexes] + [name for _t, name, _d in constraints]
    with connection.cursor() as cursor:
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            # a partitioned table's index is printed "ON ONLY" (without its partitions)
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))


def analyze(tables: list[str]) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL ANALYZE, SQLite optimize)."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        else:
            cursor.execute("PRAGMA optimize")


def consent_wording(question: dict, language: str, version_id: int, pick) -> str:
    return json.dumps({"question": question["key"], "language": language,
                       "text": pick(question["text"], language),
                       "survey_version": version_id}, ensure_ascii=False)


def utc_us(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)
