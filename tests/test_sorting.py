"""Rows sorted by packed keys agree with ``np.lexsort``, in range and beyond it."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.sorting import sorted_rows

rows = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6), st.integers(0, 12)),
                max_size=60)


def _lexsorted(first: np.ndarray, second: np.ndarray, third: np.ndarray
               ) -> tuple[np.ndarray, ...]:
    order = np.lexsort((third, second, first))
    return first[order], second[order], third[order]


def _columns(data: list[tuple[int, int, int]]) -> list[np.ndarray]:
    table = np.array(data, dtype=np.int64).reshape(-1, 3)
    return [table[:, k].copy() for k in range(3)]


@given(rows)
def test_packed_rows_sort_like_lexsort(data: list[tuple[int, int, int]]) -> None:
    first, second, third = _columns(data)
    for got, want in zip(sorted_rows(first, second, third),
                         _lexsorted(first, second, third), strict=True):
        assert np.array_equal(got, want)


@given(rows)
def test_rows_too_wide_to_pack_still_sort(data: list[tuple[int, int, int]]) -> None:
    """A first column this wide would overflow a packed key: the plain sort is used."""
    first, second, third = _columns([*data, (2**40, 0, 0)])
    second = second + 2**12
    third = third + 2**12
    for got, want in zip(sorted_rows(first, second, third),
                         _lexsorted(first, second, third), strict=True):
        assert np.array_equal(got, want)


@given(rows)
def test_negative_and_narrow_columns_sort_too(data: list[tuple[int, int, int]]) -> None:
    """Negative values cannot be packed, and int32 columns must not overflow a key."""
    first, second, third = _columns([*data, (70_000, 70_000, 5)])
    second = second - 3
    narrow = [column.astype(np.int32) for column in (first, second, third)]
    for got, want in zip(sorted_rows(*narrow), _lexsorted(first, second, third), strict=True):
        assert got.dtype == np.int64
        assert np.array_equal(got, want)
