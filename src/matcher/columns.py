"""Attribute columns of candidates and posts as integer codes, and vectorised selectors.

Every attribute a selector may name becomes one integer array (one code per distinct value),
and tags become a boolean matrix, so that a selector over 100,000 candidates is a handful of
``np.isin`` calls instead of a Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.problem import Candidate, Post, Selector

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _key(value: Any) -> tuple[str, Any]:
    # Typed keys: in a plain dict True == 1, and a selector {"hardship": true} must not match
    # hardship 1.
    return (type(value).__name__, value)


@dataclass
class Interner:
    """Gives each distinct value one small integer code, shared across tables."""

    codes: dict[tuple[str, Any], int] = field(default_factory=dict)

    def code(self, value: Any) -> int:
        return self.codes.setdefault(_key(value), len(self.codes))

    def lookup(self, value: Any) -> int:
        """Code of ``value`` if seen, else -1 (matches nothing)."""
        return self.codes.get(_key(value), -1)

    def column(self, values: Iterable[Any]) -> IntArray:
        items = values if isinstance(values, list) else list(values)
        distinct = dict.fromkeys(items)  # at C speed: a column has few distinct values
        if len({type(v) for v in distinct} - {type(None)}) > 1:  # True == 1 == 1.0 as keys
            return np.fromiter((self.code(v) for v in items), dtype=np.int64, count=len(items))
        for value in distinct:
            distinct[value] = self.code(value)
        return np.fromiter(map(distinct.__getitem__, items), dtype=np.int64, count=len(items))


@dataclass
class Table:
    """Attribute columns of one side (candidates or posts)."""

    size: int
    interner: Interner
    columns: dict[str, IntArray]
    tags: BoolArray  # size × len(tag_names)
    tag_names: dict[str, int]

    def match(self, selector: Selector) -> BoolArray:
        """Rows matched by ``selector``: every attribute matches (AND), lists are any-of."""
        mask = np.ones(self.size, dtype=np.bool_)
        for attribute, wanted in selector.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if attribute == "tags":
                cols = [self.tag_names[v] for v in values if isinstance(v, str)
                        and v in self.tag_names]
                if cols:
                    mask &= self.tags[:, cols].any(axis=1)
                else:
                    mask[:] = False
            else:
                codes = [self.interner.lookup(v) for v in values]
                mask &= np.isin(self.columns[attribute], codes)
        return mask


def _tag_matrix(tag_lists: Sequence[list[str]]) -> tuple[BoolArray, dict[str, int]]:
    names: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, tags in enumerate(tag_lists):
        for tag in tags:
            rows.append(row)
            cols.append(names.setdefault(tag, len(names)))
    matrix = np.zeros((len(tag_lists), len(names)), dtype=np.bool_)
    matrix[rows, cols] = True
    return matrix, names


def candidate_table(candidates: Sequence[Candidate], interner: Interner) -> Table:
    attrs = ("id", "home_province", "university", "degree", "major_category", "gender",
             "ethnicity")
    columns = {a: interner.column([getattr(c, a) for c in candidates]) for a in attrs}
    columns["recruit_province"] = interner.column([c.origin_recruit for c in candidates])
    tags, names = _tag_matrix([c.tags for c in candidates])
    return Table(len(candidates), interner, columns, tags, names)


def post_table(posts: Sequence[Post], interner: Interner) -> Table:
    attrs = ("id", "province", "prefecture", "county", "programme", "project",
             "minority_region", "hardship")
    columns = {a: interner.column([getattr(p, a) for p in posts]) for a in attrs}
    tags, names = _tag_matrix([p.tags for p in posts])
    return Table(len(posts), interner, columns, tags, names)
