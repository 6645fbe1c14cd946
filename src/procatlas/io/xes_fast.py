"""Vectorised reader of plain-shaped XES bodies: numpy finds the tags, Arrow assembles the rows.

Every XES writer in the wild (OpenXES, pm4py, Disco, our own) writes the body of a log as
self-closing scalar attributes inside ``<trace>`` and ``<event>`` elements.  For that shape the
XML grammar collapses to a few byte patterns, so instead of one Python call per element
(expat handlers: ~1.6 M calls on BPIC 2012) this reader works on whole blocks of bytes:

1. the positions of every ``<``, ``"`` and newline come from numpy comparisons;
2. each tag's skeleton (the bytes around the key and value: ``<string key="``, ``" value="``,
   ``"/>`` + indentation, ``<event>``) is checked against the grammar once per *distinct*
   skeleton (a handful per file) and compared bytewise for all the others;
3. a running count of trace and event opens numbers the traces and events; keys and values
   are cut out of the block with one boolean mask each and become Arrow string arrays;
4. roles are the first matching attribute of each event, the other attributes are turned into
   JSON fragments and joined per event with Arrow list kernels (document order kept).

Anything outside that shape (nested ``<list>``/``<container>``, comments or CDATA in the body,
character references, single quotes, namespace prefixes, CR line ends, another encoding,
malformed or truncated XML) raises :class:`NotSimple`; ``read_xes`` then empties the staging
tables and reads the file again with the expat reader, whose rows are the reference: the
test-suite checks that both readers stage identical rows on every real log and on generated
ones.  Memory is bounded by one block (:data:`BLOCK_BYTES`) plus the longest trace.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xml.parsers.expat as expat

from procatlas.io import ReadOptions
from procatlas.io._open import open_binary
from procatlas.io._stage import Stager, arrow_schema
from procatlas.io.xes import _ACT, _EID, _GRP, _LIFE, _NO_SLOT, _RES, _START, _START_KEYS, _TS, _Reader, _scalar

# Decompressed bytes handled per step: big enough that the per-block numpy/Arrow calls are
# amortised, small enough that the temporaries (a few bytes per input byte) stay well under
# 200 MB.  A block is cut after its last </trace>; the rest is carried to the next one.
BLOCK_BYTES = 1 << 24
# more distinct tag skeletons than this in one block means free text between tags or
# unusual formatting: not worth the vectorised path
_MAX_SKELETONS = 512


class NotSimple(Exception):
    """The file is not in the plain shape this reader handles; use the expat reader."""


_TYPES = ("string", "date", "int", "float", "boolean", "id")
_T_STRING, _T_DATE, _T_INT, _T_FLOAT, _T_BOOLEAN, _T_ID = range(6)
_TO, _TC, _EO, _EC = range(4)  # trace open/close, event open/close

_RX_OPEN = re.compile(rb"<(string|date|int|float|boolean|id)[ \t\n]+key[ \t\n]*=[ \t\n]*\"")
_RX_MID = re.compile(rb"\"[ \t\n]+value[ \t\n]*=[ \t\n]*\"")
_RX_CLOSE = re.compile(rb"\"[ \t\n]*/>[^<\"&]*")
_RX_STRUCT = re.compile(rb"<(/?)(trace|event)[ \t\n]*>[^<\"&]*")
_RX_FIRST_TRACE = re.compile(rb"<trace[ \t\n>]")
_RX_TRACE_END = re.compile(rb"</trace[ \t\n]*>")
_RX_TAIL = re.compile(rb"[ \t\n]*</log[ \t\n]*>[ \t\n]*")
_RX_ENTITY = re.compile(rb"&(?:amp|lt|gt|quot|apos);")
_RX_DECL = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding[ \t\n]*=[ \t\n]*[\"']([^\"']*)[\"']")
_UTF8 = {"utf-8", "utf8", "us-ascii", "ascii"}
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


_RX_OPEN_S = re.compile(_RX_OPEN.pattern.decode())
_RX_MID_S = re.compile(_RX_MID.pattern.decode())
_RX_CLOSE_S = re.compile(_RX_CLOSE.pattern.decode())
_RX_STRUCT_S = re.compile(_RX_STRUCT.pattern.decode())


def _attr_code(skeleton: str) -> int | None:
    m = _RX_OPEN_S.fullmatch(skeleton)
    return _TYPES.index(m.group(1)) if m else None


def _ok_code(rx: re.Pattern) -> Any:
    return lambda skeleton: 0 if rx.fullmatch(skeleton) else None


def _struct_code(skeleton: str) -> int | None:
    m = _RX_STRUCT_S.fullmatch(skeleton)
    if not m:
        return None
    return (_TC if m.group(1) else _TO) if m.group(2) == "trace" else (_EC if m.group(1) else _EO)


def _classify(segments: pa.Array, decide) -> np.ndarray:
    """Code of each skeleton string; ``decide`` sees each distinct skeleton once (a handful)."""
    enc = pc.dictionary_encode(segments)
    if len(enc.dictionary) > _MAX_SKELETONS:
        raise NotSimple  # free text between tags or unusual formatting
    codes = [decide(d) for d in enc.dictionary.to_pylist()]
    if None in codes:
        raise NotSimple
    return np.asarray(codes, np.int8)[enc.indices.to_numpy()] if codes else np.zeros(0, np.int8)


def _normalise(arr: pa.Array, amps: bool) -> pa.Array:
    """Attribute-value normalisation as expat does it: a literal tab or newline reads as a
    space (CR never gets here), and the five named entities are replaced."""
    offsets = np.frombuffer(arr.buffers()[1], np.int64, len(arr) + 1, arr.offset * 8)
    chars = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0]:offsets[-1]] if arr.buffers()[2] else None
    if chars is not None and np.count_nonzero(chars < 0x20):
        arr = pc.replace_substring(pc.replace_substring(arr, "\t", " "), "\n", " ")
    if amps:
        for ent, ch in _ENTITIES:  # &amp; last: "&amp;lt;" is the text "&lt;"
            arr = pc.replace_substring(arr, ent, ch)
    return arr


def _json_strings(arr: pa.Array) -> pa.Array:
    """JSON string literals, as ``json.dumps(..., ensure_ascii=False)`` writes them.

    Values of a plain body hold no control characters (XML forbids them; tab and newline were
    normalised to spaces), so only backslash and double quote need escaping."""
    if pc.any(pc.match_substring_regex(arr, r'[\\"]')).as_py():
        arr = pc.replace_substring(pc.replace_substring(arr, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise(_lit('"'), arr, _lit('"'), _lit(""))


# number and boolean texts whose JSON is the text itself (json.dumps(int(t)) / repr(float(t))
# give it back unchanged); anything else is converted by Python, once per distinct text
_CANON = {
    _T_INT: r"^(0|-?[1-9][0-9]*)$",
    # <= 15 significant digits round-trip exactly, and repr() writes 1e-4 <= |x| < 1e16 positionally
    _T_FLOAT: r"^-?(([1-9][0-9]{0,14})\.(0|[0-9]{0,14}[1-9])|0\.0{0,3}[1-9]([0-9]{0,13}[1-9])?|0\.0)$",
    _T_BOOLEAN: r"^(true|false)$",
}


def _word(text: bytes) -> int:
    return int.from_bytes(text[:8].ljust(8, b"\0"), "little")


_RX_CDATA_END = re.compile(rb"]]>")
_RX_NONCHAR = re.compile(rb"\xef\xbf[\xbe\xbf]")
_PREFIXES = [f'<{t} key="'.encode() for t in _TYPES]
_P_LEN = np.array([len(p) for p in _PREFIXES] + [0], np.int64)
_P_HEAD = np.array([_word(p[:8]) for p in _PREFIXES] + [0], np.uint64)
_P_TAIL = np.array([_word(p[-8:]) for p in _PREFIXES] + [0], np.uint64)
_TYPE_OF_CHAR = np.full(256, 6, np.int8)
for _code, _t in enumerate(_TYPES):
    if _t != "id":
        _TYPE_OF_CHAR[ord(_t[0])] = _code
_MID = _word(b'" value=')
_LOW7 = np.uint64(0x00FF_FFFF_FFFF_FFFF)
_STRUCT_WORDS = {_TO: (_word(b"<trace>"), _LOW7), _TC: (_word(b"</trace>"), np.uint64(2**64 - 1)),
                 _EO: (_word(b"<event>"), _LOW7), _EC: (_word(b"</event>"), np.uint64(2**64 - 1))}


def _canonical(buf: np.ndarray, lt: np.ndarray, quotes: np.ndarray, ia: np.ndarray,
               is_attr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Types of the attributes and kinds of the other tags when every tag is spelt the way
    XES writers spell them (``<string key="k" value="v"/>`` or ``... />``, ``<event>``);
    None when any is not.  Eight bytes at a time: a uint64 view at every byte offset."""
    if len(buf) < 16:
        return None
    words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    last = len(words) - 1
    la = lt[is_attr]
    q0, q1, q3 = quotes[ia], quotes[ia + 1], quotes[ia + 3]
    c1 = buf[np.minimum(la + 1, len(buf) - 1)]
    typ = _TYPE_OF_CHAR[c1]
    i_ = c1 == ord("i")
    typ[i_] = np.where(buf[la[i_] + 2] == ord("d"), _T_ID, _T_INT)
    ok = ((q0 - la + 1) == _P_LEN[typ]) & (words[np.minimum(la, last)] == _P_HEAD[typ])
    ok &= words[np.clip(q0 - 7, 0, last)] == _P_TAIL[typ]
    ok &= ((quotes[ia + 2] - q1) == 8) & (words[np.minimum(q1, last)] == _MID)
    after = np.minimum(q3 + 1, len(buf) - 3)
    ok &= ((buf[after] == 0x2F) & (buf[after + 1] == 0x3E)) | (
        (buf[after] == 0x20) & (buf[after + 1] == 0x2F) & (buf[after + 2] == 0x3E))
    if not ok.all():
        return None
    w = words[np.minimum(lt[~is_attr], last)]
    kind = np.full(len(w), -1, np.int8)
    for k, (word, mask) in _STRUCT_WORDS.items():
        kind[(w & mask) == word] = k
    if (kind < 0).any():
        return None
    return typ, kind


class _Block:
    """One block of body bytes (whole traces) turned into columns.

    Every tag of a plain body is a piece from one ``<`` to the next; an attribute piece has
    exactly four quotes and splits into five segments (``<string key="``, key, ``" value="``,
    value, ``"/>`` + whitespace), a trace/event tag is one segment.  All segments together
    cover the block, so one zero-copy Arrow string array over the block's bytes holds them
    all; keys, values and skeletons are ``take``-n from it."""

    def __init__(self, data: bytes | memoryview):
        buf = np.frombuffer(data, np.uint8)
        lt = np.flatnonzero(buf == 0x3C)
        quotes = np.flatnonzero(buf == 0x22)
        newlines = np.flatnonzero(buf == 0x0A)
        # characters XML forbids, CR (line-end normalisation), U+FFFE/FFFF, ]]> in text
        if np.count_nonzero(buf < 0x20) != np.count_nonzero(buf == 0x09) + len(newlines):
            raise NotSimple
        for lead, rx in ((0x5D, _RX_CDATA_END), (0xEF, _RX_NONCHAR)):
            for at in np.flatnonzero(buf == lead).tolist():
                if rx.match(data, at):
                    raise NotSimple
        amps = int(np.count_nonzero(buf == 0x26))
        if amps and len(_RX_ENTITY.findall(data)) != amps:
            raise NotSimple  # character references or undeclared entities
        data_buf = pa.py_buffer(data)
        try:  # UTF-8 check of the whole block in one C call
            pa.Array.from_buffers(pa.large_string(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int64)),
                                                         data_buf]).validate(full=True)
        except pa.ArrowInvalid:
            raise NotSimple from None
        n = len(lt)
        qi = np.searchsorted(quotes, lt)
        nq = np.diff(np.append(qi, len(quotes)))
        is_attr = nq == 4
        if not (is_attr | (nq == 0)).all():
            raise NotSimple
        ia = qi[is_attr]
        # segment boundaries: 5 per attribute piece, 1 per trace/event piece
        width = np.where(is_attr, 5, 1)
        first = np.zeros(n + 1, np.int64)
        np.cumsum(width, out=first[1:])
        bounds = np.empty(first[-1] + 1, np.int64)
        bounds[first[:-1]] = lt
        fa = first[:-1][is_attr]
        bounds[fa + 1] = quotes[ia] + 1
        bounds[fa + 2] = quotes[ia + 1]
        bounds[fa + 3] = quotes[ia + 2] + 1
        bounds[fa + 4] = quotes[ia + 3]
        bounds[-1] = len(buf)
        segs = pa.Array.from_buffers(pa.large_string(), len(bounds) - 1, [None, pa.py_buffer(bounds), data_buf])

        def seg(offset: int, mask: np.ndarray | None = None) -> pa.Array:
            idx = (fa if mask is None else first[:-1][mask]) + offset
            return segs.take(pa.array(idx))

        kind = np.full(n, 4, np.int8)
        canon = _canonical(buf, lt, quotes, ia, is_attr)
        if canon is not None:
            typ, kind[~is_attr] = canon
        else:  # other spacing: check each distinct skeleton against the grammar
            typ = _classify(seg(0), _attr_code)
            _classify(seg(2), _ok_code(_RX_MID_S))
            _classify(seg(4), _ok_code(_RX_CLOSE_S))
            kind[~is_attr] = _classify(seg(0, ~is_attr), _struct_code)

        # nesting: <trace> (attr)* (<event> attr* </event>)* </trace>, any number of times
        to, tc, eo, ec = (kind == _TO), (kind == _TC), (kind == _EO), (kind == _EC)
        tr_step = to.astype(np.int8) - tc
        ev_step = eo.astype(np.int8) - ec
        tr_after = np.cumsum(tr_step, dtype=np.int64)
        ev_after = np.cumsum(ev_step, dtype=np.int64)
        tr_before = tr_after - tr_step
        ev_before = ev_after - ev_step
        ok = np.where(to, (tr_before == 0) & (ev_before == 0),
                      np.where(tc | eo, (tr_before == 1) & (ev_before == 0),
                               np.where(ec, ev_before == 1, tr_before == 1)))
        if not ok.all() or tr_after[-1] != 0:
            raise NotSimple

        keys = pc.dictionary_encode(seg(1))
        names = _normalise(keys.dictionary, amps > 0)
        self.key_idx = keys.indices.to_numpy().astype(np.int64)
        self.key_names: list[str] = names.to_pylist()
        if len(set(self.key_names)) != len(self.key_names):  # two spellings of one key (&amp; vs &#38;...)
            raise NotSimple
        self.values = _normalise(seg(3), amps > 0)
        self.typ = typ
        self.in_event = (ev_before == 1)[is_attr]
        ev_no = np.cumsum(eo) - 1
        tr_no = np.cumsum(to) - 1
        self.event_of_attr = ev_no[is_attr]
        self.trace_of_attr = tr_no[is_attr]
        self.trace_of_event = tr_no[eo]
        self.n_events = int(eo.sum())
        self.n_traces = int(to.sum())
        self.event_line0 = np.searchsorted(newlines, lt[eo])  # newlines before each <event>
        self.newlines = len(newlines)


class _Assembler:
    """Turns blocks into staged rows with the expat reader's exact semantics."""

    def __init__(self, reader: _Reader, stager: Stager):
        self.reader = reader
        self.stager = stager
        self.schema = arrow_schema("case_event")
        self.position = 0
        self.line = 1  # line of the first byte of the next block
        self.traces = 0
        self.no_case = 0
        self.declared: set[tuple[str, str, str]] = set()
        self.slot_cache: dict[str, int] = {}

    def slot(self, key: str) -> int:
        """The role slot an event attribute key fills (before the date rule for start times)."""
        s = self.slot_cache.get(key)
        if s is None:
            r = self.reader
            s = r.explicit.get(key, _NO_SLOT)
            if s == _NO_SLOT and not r.start_key_given and key.lower() in _START_KEYS:
                s = _START
            self.slot_cache[key] = s
        return s

    def add(self, data: bytes | memoryview) -> None:
        b = _Block(data)
        key_idx = b.key_idx
        key_names = b.key_names
        typ = b.typ
        values = b.values

        # -------- events
        ev_sel = np.flatnonzero(b.in_event)
        ev_no = b.event_of_attr[ev_sel]
        ev_key = key_idx[ev_sel]
        ev_typ = typ[ev_sel]
        slot_by_key = np.array([self.slot(k) for k in key_names], np.int64) if key_names else np.zeros(0, np.int64)
        ev_slot = slot_by_key[ev_key] if len(ev_key) else np.zeros(0, np.int64)
        if not self.reader.start_key_given:
            ev_slot = np.where((ev_slot == _START) & (ev_typ != _T_DATE), _NO_SLOT, ev_slot)
        n_ev = b.n_events
        role_cols: dict[int, pa.Array] = {}
        taken = np.zeros(len(ev_sel), np.bool_)
        for s in (_ACT, _TS, _START, _LIFE, _RES, _GRP, _EID):
            m = np.flatnonzero(ev_slot == s)
            idx = np.full(n_ev, -1, np.int64)
            if len(m):
                evs = ev_no[m]
                first = np.ones(len(m), np.bool_)
                first[1:] = evs[1:] != evs[:-1]
                idx[evs[first]] = ev_sel[m[first]]
                taken[m[first]] = True
            role_cols[s] = (pc.take(values, pa.array(idx, mask=idx < 0)).cast(pa.string()) if len(m)
                            else pa.nulls(n_ev, pa.string()))
        ex = np.flatnonzero(~taken)
        attributes = self.json_objects(ex_tokens := ev_sel[ex], ev_no[ex], n_ev, key_idx, key_names, typ, values,
                                       empty=None)
        self.declare("event", key_idx[ex_tokens], typ[ex_tokens], key_names)

        # -------- traces
        tr_sel = np.flatnonzero(~b.in_event)
        tr_no = b.trace_of_attr[tr_sel]
        n_tr = b.n_traces
        case_key = self.reader.case_key
        ck = key_names.index(case_key) if case_key in key_names else -1
        m = np.flatnonzero(key_idx[tr_sel] == ck)
        case_tok = np.full(n_tr, -1, np.int64)
        rest = np.ones(len(tr_sel), np.bool_)
        if len(m):
            trs = tr_no[m]
            first = np.ones(len(m), np.bool_)
            first[1:] = trs[1:] != trs[:-1]
            case_tok[trs[first]] = tr_sel[m[first]]
            rest[m[first]] = False
        case_ids = pc.take(values, pa.array(case_tok, mask=case_tok < 0)).cast(pa.string())
        tr_rest = tr_sel[rest]
        case_attrs = self.json_objects(tr_rest, tr_no[rest], n_tr, key_idx, key_names, typ, values, empty="{}")
        self.declare("case", key_idx[tr_rest], typ[tr_rest], key_names)

        # -------- stage
        if n_ev:
            nulls = pa.nulls(n_ev, pa.timestamp("us"))
            table = pa.Table.from_arrays([
                pc.take(case_ids, pa.array(b.trace_of_event)), role_cols[_ACT], nulls, role_cols[_TS], nulls,
                role_cols[_START], role_cols[_LIFE], role_cols[_RES], role_cols[_GRP], role_cols[_EID],
                pa.array(np.arange(self.position, self.position + n_ev, dtype=np.int64)),
                attributes, pa.array(b.event_line0 + self.line, pa.int64()),
            ], schema=self.schema)
            self.stager.append("case_event", table)
        has_case = pc.is_valid(case_ids)
        if n_tr:
            self.stager.append("case", pa.table({"case_id": case_ids.filter(has_case),
                                                 "attributes": case_attrs.filter(has_case)}))
        self.no_case += n_tr - pc.sum(has_case).as_py() if n_tr else 0
        self.position += n_ev
        self.traces += n_tr
        self.line += b.newlines

    def declare(self, scope: str, key_idx: np.ndarray, typ: np.ndarray, key_names: list[str]) -> None:
        if len(key_idx):
            for code in np.unique(key_idx * 8 + typ):
                self.declared.add((scope, key_names[code // 8], _TYPES[code % 8]))

    def json_objects(self, tokens: np.ndarray, owner: np.ndarray, n_owners: int, key_idx: np.ndarray,
                     key_names: list[str], typ: np.ndarray, values: pa.Array, empty: str | None) -> pa.Array:
        """One JSON object per owner (event or trace) of its attribute tokens, in document order,
        exactly as ``json.dumps(dict, ensure_ascii=False)`` writes it; ``empty`` for owners with none."""
        if not len(tokens):
            return pa.array([empty] * n_owners, pa.string())
        vals = values.take(pa.array(tokens))
        ttyp = typ[tokens]
        tkey = key_idx[tokens]
        quoted = _json_strings(vals)
        typed_mask = (ttyp == _T_INT) | (ttyp == _T_FLOAT) | (ttyp == _T_BOOLEAN)
        if typed_mask.any():
            quoted = pc.if_else(pa.array(typed_mask), self.typed_json(vals, ttyp, typed_mask), quoted)
        names = pa.array([json.dumps(k, ensure_ascii=False) + ": " for k in key_names], pa.large_string())
        name_col = pc.take(names, pa.array(tkey))
        renamed = self.duplicates(owner, tkey, key_names)
        if renamed is not None:
            name_col = pc.coalesce(renamed, name_col)
        frags = pc.binary_join_element_wise(name_col, quoted, _lit(""))
        counts = np.bincount(owner, minlength=n_owners)
        offsets = np.zeros(n_owners + 1, np.int32)
        np.cumsum(counts, out=offsets[1:])
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), frags), _lit(", "))
        obj = pc.binary_join_element_wise(_lit("{"), joined, _lit("}"), _lit(""))
        return pc.if_else(pa.array(counts > 0), obj, pa.scalar(empty, pa.large_string())).cast(pa.string())

    @staticmethod
    def typed_json(vals: pa.Array, ttyp: np.ndarray, typed_mask: np.ndarray) -> pa.Array:
        """JSON of int/float/boolean values: the text itself where it is already canonical
        (a vectorised regex), Python's own conversion once per distinct other text."""
        out = vals
        todo = np.zeros(len(vals), np.bool_)
        for t, rx in _CANON.items():
            m = ttyp == t
            if m.any():
                todo |= m & ~pc.match_substring_regex(vals, rx).to_numpy(zero_copy_only=False)
        sel = np.flatnonzero(todo)
        if len(sel):
            pairs = pc.binary_join_element_wise(pa.array(ttyp[sel].astype(np.int64)).cast(pa.large_string()),
                                                vals.take(pa.array(sel)), _lit("\x00"))
            enc = pc.dictionary_encode(pairs)
            texts = [json.dumps(_scalar(_TYPES[int(t)], v), ensure_ascii=False)
                     for t, v in (p.split("\x00", 1) for p in enc.dictionary.to_pylist())]
            converted = pc.take(pa.array(texts, pa.large_string()), enc.indices)
            idx = np.full(len(vals), -1, np.int64)
            idx[sel] = np.arange(len(sel))
            out = pc.if_else(pa.array(todo), pc.take(converted, pa.array(idx, mask=idx < 0)), out)
        return out

    @staticmethod
    def duplicates(owner: np.ndarray, tkey: np.ndarray, key_names: list[str]) -> pa.Array | None:
        """Names (JSON, with ``": "``) where a key repeats within one owner, null elsewhere; None if
        no key repeats.  Done the expat reader's way (first free ``key#n``), in Python, for the
        owners with a repeated key only."""
        combo = owner * (int(tkey.max()) + 1) + tkey
        order = np.argsort(combo, kind="stable")
        sc = combo[order]
        rep = sc[1:] == sc[:-1]
        if not rep.any():
            return None
        sel = np.flatnonzero(np.isin(owner, np.unique(owner[order[1:][rep]])))
        names: list[str | None] = []
        current, seen = -1, set()
        for o, k in zip(owner[sel].tolist(), tkey[sel].tolist()):
            if o != current:
                current, seen = o, set()
            key = key_names[k]
            name, n = key, 1
            while name in seen:
                n += 1
                name = f"{key}#{n}"
            seen.add(name)
            names.append(json.dumps(name, ensure_ascii=False) + ": ")
        idx = np.full(len(owner), -1, np.int64)
        idx[sel] = np.arange(len(sel))
        return pc.take(pa.array(names, pa.large_string()), pa.array(idx, mask=idx < 0))


def _split_header(stream, path: Path) -> tuple[bytes, bytes]:
    """Read until the first ``<trace``; return (header bytes, the rest read so far)."""
    data = b""
    while True:
        chunk = stream.read(BLOCK_BYTES)
        m = _RX_FIRST_TRACE.search(data + chunk, max(0, len(data) - 8))
        data += chunk
        if m:
            return data[:m.start()], data[m.start():]
        if not chunk:
            raise NotSimple  # no trace at all: tiny or odd, the expat reader handles it


def read_xes_fast(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stage the XES file at ``path`` like :func:`procatlas.io.xes.read_xes_expat` does, or raise
    :class:`NotSimple` (the caller then empties the staging tables and uses the expat reader)."""
    path = Path(path)
    with open_binary(path) as (stream, counter):
        header, rest = _split_header(stream, path)
        decl = _RX_DECL.match(header)
        encoding = decl.group(1).decode("ascii", "replace").lower() if decl else None
        # a CR anywhere makes expat count lines differently from our newline count
        if b"\x00" in header or b"\r" in header or b"<!DOCTYPE" in header or (encoding and encoding not in _UTF8):
            raise NotSimple
        parser = expat.ParserCreate()
        reader = _Reader(path, parser, stager, options)
        try:
            parser.Parse(header, False)
            parser.Parse(b"</log>", True)
        except expat.ExpatError:
            raise NotSimple from None
        if reader.rows or reader.position or reader.root != "log" or reader.stats["traces"]:
            raise NotSimple  # events before the first trace
        asm = _Assembler(reader, stager)
        asm.line = header.count(b"\n") + 1
        carry = rest
        while True:
            chunk = stream.read(BLOCK_BYTES)
            if not chunk:
                break
            block = carry + chunk if carry else chunk
            cut = _last_trace_end(block)
            if cut:
                asm.add(memoryview(block)[:cut])  # no copy of the block
            carry = block[cut:]
            stager.advance(counter.consumed)
        cut = _last_trace_end(carry)
        if cut:
            asm.add(memoryview(carry)[:cut])
        if not _RX_TAIL.fullmatch(carry, cut):
            raise NotSimple  # anything after the last trace but </log>: the expat reader decides
        stager.advance(counter.consumed)
    reader.position = asm.position
    reader.stats["traces"] = asm.traces
    reader.stats["no_case"] = asm.no_case
    reader.declared |= asm.declared
    reader.finish()


def _last_trace_end(block: bytes) -> int:
    """Offset just past the last ``</trace>`` of ``block`` (0 when there is none)."""
    end = len(block)
    while True:
        k = block.rfind(b"</trace", 0, end)
        if k < 0:
            return 0
        m = _RX_TRACE_END.match(block, k)
        if m:
            return m.end()
        end = k

