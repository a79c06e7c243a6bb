"""How one cell spells one JSON value, both ways.

Why a cell grammar at all: a spreadsheet has no lists or objects, yet candidates have lists
(languages, service years, tags) and rules have selectors. The spellings are the ones an office
types without training:

* lists: items separated by ``;`` (also ``,`` ``、`` and full-width ``；`` ``，``): ``ug;bo``
* selectors: ``key=value|value;key=value`` (``|`` means any of): ``province=XJ;hardship=4|5``
* wishes: a post id (``P017``), or a pattern ``province=XJ;prefecture=Kashgar``
* yes/no: ``yes``/``no``, ``是``/``否``, ``true``/``false``, ``1``/``0``

Keys and enumerated values may be written in English or Chinese (see :mod:`headers`). A cell
that starts with ``[`` or ``{`` is read as JSON, taken literally: the writer falls back to it
whenever the plain spelling would not read back to exactly the same value (a one-item selector
list, an item containing ``;``), so converting to a workbook and back never changes a problem.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from matcher.sheets.headers import (
    VOCABULARIES,
    Column,
    Kind,
    Lang,
    normalise,
    selector_column,
)

Json = Any
LIST_SPLIT = re.compile(r"[;；,，、]")
PAIR_SPLIT = re.compile(r"[;；]")
ANY_SPLIT = re.compile(r"[|｜]")
WISH_KEYS = ("post", "province", "prefecture", "county", "programme")
POST_KEYS = frozenset(("post", "岗位", "岗位编号"))
_INT_TEXT = re.compile(r"^[+-]?\d+(?:\.0*)?$")


class CellError(ValueError):
    """A cell that does not spell a value of its column; ``message`` is for an office."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def quoted(raw: Any) -> str:
    return json.dumps(raw if isinstance(raw, str) else str(raw), ensure_ascii=False)


# --- reading ------------------------------------------------------------------------------


def parse_cell(column: Column, raw: Any) -> Json:
    """The JSON value a cell holds, or None for an empty cell (the field is not given)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = column.kind
    if kind in (Kind.text_list, Kind.int_list, Kind.choice_list):
        return _parse_list(column, raw)
    if kind in (Kind.candidate_selector, Kind.post_selector):
        return _parse_selector(kind, raw)
    if kind is Kind.wish:
        return _parse_wish(raw)
    return parse_scalar(kind, column.vocabulary, raw)


def parse_scalar(kind: Kind, vocabulary: str | None, raw: Any) -> Json:
    if kind is Kind.integer:
        return _integer(raw)
    if kind is Kind.number:
        return _number(raw)
    if kind is Kind.boolean:
        return _boolean(raw)
    text = _text(raw)
    if vocabulary is None:
        return text
    vocab = VOCABULARIES[vocabulary]
    found = vocab.lookup(text)
    if found is not None:
        return found
    if kind is Kind.choice:
        raise CellError("not_a_choice", f"{quoted(text)} is not one of "
                        f"{', '.join(vocab.values())} ({'、'.join(t.zh for t in vocab.terms)})")
    return text


def _text(raw: Any) -> str:
    if isinstance(raw, bool):
        raise CellError("not_text", f"{raw} is a yes/no value, expected text")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # an id typed as a number: 1001, not 1001.0
    return str(raw).strip()


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError("not_integer", f"{raw} is a yes/no value, expected a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = str(raw).strip()
    if _INT_TEXT.match(text):
        return int(text.split(".")[0])
    raise CellError("not_integer", f"{quoted(raw)} is not a whole number")


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise CellError("not_number", f"{raw} is a yes/no value, expected a number")
    if isinstance(raw, int | float):
        value: int | float = raw
    else:
        text = str(raw).strip().replace("％", "%")
        try:
            if text.endswith("%"):
                value = float(Decimal(text[:-1].strip()) / 100)
            elif _INT_TEXT.match(text) and "." not in text:
                value = int(text)
            else:
                value = float(Decimal(text))
        except InvalidOperation:
            raise CellError("not_number", f"{quoted(raw)} is not a number") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError("not_number", f"{quoted(raw)} is not a finite number")
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    found = VOCABULARIES["boolean"].lookup(_text(raw))
    if found is None:
        raise CellError("not_yes_no", f"{quoted(raw)} is not yes or no (是 or 否)")
    return found == "yes"


def _json(raw: Any, want: type, what: str) -> Json:
    try:
        value = json.loads(str(raw))
    except ValueError as exc:
        raise CellError("bad_json", f"{quoted(raw)} starts like JSON but is not: {exc}") from None
    if not isinstance(value, want):
        raise CellError("bad_json", f"{quoted(raw)} is JSON but not {what}")
    return value


def _parse_list(column: Column, raw: Any) -> list[Json]:
    if isinstance(raw, str) and raw.strip().startswith("["):
        return list(_json(raw.strip(), list, "a list"))
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        items: list[Any] = [raw]
    else:
        items = [item.strip() for item in LIST_SPLIT.split(str(raw)) if item.strip()]
    item_kind = {Kind.int_list: Kind.integer, Kind.choice_list: Kind.choice}.get(
        column.kind, Kind.text)
    return [parse_scalar(item_kind, column.vocabulary, item) for item in items]


def _key_column(kind: Kind, key: str) -> Column | None:
    return selector_column(kind, key)


def _split_pairs(raw: Any) -> list[tuple[str, str]]:
    pairs = []
    for part in PAIR_SPLIT.split(str(raw)):
        if not part.strip():
            continue
        key, sep, value = part.replace("＝", "=").partition("=")
        if not sep or not key.strip():
            raise CellError("bad_pair", f"{quoted(part.strip())} is not key=value")
        pairs.append((key.strip(), value.strip()))
    return pairs


def _parse_selector(kind: Kind, raw: Any) -> dict[str, Json]:
    text = str(raw).strip()
    if text.startswith("{"):
        return dict(_json(text, dict, "an object"))
    selector: dict[str, Json] = {}
    for key, value in _split_pairs(text):
        column = _key_column(kind, key)
        name = column.key if column is not None else key  # unknown keys: validation names them
        if name in selector:
            raise CellError("duplicate_key", f"{quoted(key)} appears twice")
        if not value:
            selector[name] = None
            continue
        values = [v.strip() for v in ANY_SPLIT.split(value) if v.strip()]
        item_kind, vocabulary = Kind.text, None
        if column is not None:
            item_kind = column.kind if column.kind in (Kind.integer, Kind.boolean,
                                                       Kind.choice) else Kind.text
            vocabulary = column.vocabulary
        try:
            parsed = [parse_scalar(item_kind, vocabulary, v) for v in values]
        except CellError as error:
            raise CellError(error.code, f"{key}: {error.message}") from None
        selector[name] = parsed if ANY_SPLIT.search(value) else parsed[0]
    return selector


def _parse_wish(raw: Any) -> dict[str, Json]:
    text = _text(raw)
    if text.startswith("{"):
        return dict(_json(text, dict, "an object"))
    if "=" not in text and "＝" not in text:
        return {"post": text}
    wish: dict[str, Json] = {}
    for key, value in _split_pairs(text):
        is_post = normalise(key) in POST_KEYS
        column = None if is_post else _key_column(Kind.post_selector, key)
        name = "post" if is_post else column.key if column is not None else key
        if name not in WISH_KEYS:
            raise CellError("bad_wish_key", f"wish key {quoted(key)} is not one of "
                            "post, province, prefecture, county, programme "
                            "(岗位、省份、地州、县、专项)")
        if name in wish:
            raise CellError("duplicate_key", f"{quoted(key)} appears twice")
        vocabulary = column.vocabulary if column is not None else None
        wish[name] = parse_scalar(Kind.text, vocabulary, value)
    return wish


# --- writing ------------------------------------------------------------------------------


def format_cell(column: Column, value: Json, lang: Lang) -> Any:
    """The cell that reads back as ``value`` (a number stays a number, a list becomes text)."""
    if value is None:
        return None
    kind = column.kind
    if kind in (Kind.integer, Kind.number):
        # Workbooks store 16 significant digits; a float that needs 17 goes as exact text.
        if isinstance(value, float) and float(f"{value:.16g}") != value:
            return repr(value)
        return value
    if kind in (Kind.text, Kind.choice, Kind.boolean):
        return _display(column.vocabulary, value, lang)
    if isinstance(value, list) and not value:
        return None if column.empty_list_default else "[]"
    if isinstance(value, dict) and not value and kind is not Kind.wish:
        return None  # an empty selector is the default: it matches everything
    if kind in (Kind.text_list, Kind.int_list, Kind.choice_list):
        text = ";".join(str(_display(column.vocabulary, item, lang)) for item in value)
    elif kind is Kind.wish:
        if _plain_post(value):
            return value["post"]
        text = _format_wish(value, lang)
    else:
        text = ";".join(f"{_key_name(kind, key, lang)}={_format_any(kind, key, v, lang)}"
                        for key, v in value.items())
    return text if _reads_back(column, text, value) else json.dumps(value, ensure_ascii=False)


def _display(vocabulary: str | None, value: Json, lang: Lang) -> Json:
    if isinstance(value, bool):
        return VOCABULARIES["boolean"].display("yes" if value else "no", lang)
    if vocabulary is None or not isinstance(value, str):
        return value
    return VOCABULARIES[vocabulary].display(value, lang)


def _key_name(kind: Kind, key: str, lang: Lang) -> str:
    column = _key_column(kind, key)
    return column.header(lang) if column is not None and column.key == key else key


def _format_any(kind: Kind, key: str, value: Json, lang: Lang) -> str:
    column = _key_column(kind, key)
    vocabulary = column.vocabulary if column is not None else None
    items = value if isinstance(value, list) else [value]
    return "|".join("" if item is None else str(_display(vocabulary, item, lang))
                    for item in items)


def _plain_post(wish: dict[str, Json]) -> bool:
    """A wish for a post whose id reads back as itself (the common case, checked cheaply)."""
    post = wish.get("post")
    return (len(wish) == 1 and isinstance(post, str) and post == post.strip() and post != ""
            and "=" not in post and "＝" not in post and not post.startswith("{"))


def _format_wish(wish: dict[str, Json], lang: Lang) -> str:
    if set(wish) == {"post"}:
        return str(wish["post"])
    parts = []
    for key, value in wish.items():
        column = None if key == "post" else _key_column(Kind.post_selector, key)
        name = ("岗位" if lang == "zh" else "post") if key == "post" else key
        if column is not None and column.key == key:
            name = column.header(lang)
        vocabulary = column.vocabulary if column is not None else None
        parts.append(f"{name}={_display(vocabulary, value, lang)}")
    return ";".join(parts)


def _reads_back(column: Column, text: str, value: Json) -> bool:
    try:
        again = parse_cell(column, text)
    except CellError:
        return False
    return _identical(again, value)


def _identical(a: Json, b: Json) -> bool:
    """Equal as JSON: ``True`` is not ``1`` and ``1`` is not ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
