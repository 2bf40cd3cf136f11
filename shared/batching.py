"""Splitting work into calls of a size the service accepts."""

from __future__ import annotations

from typing import List, Sequence, Tuple, TypeVar

A = TypeVar("A")
B = TypeVar("B")


def chunked(items: Sequence[A], size: int) -> List[List[A]]:
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


def grid(rows: Sequence[A], columns: Sequence[B], row_limit: int, column_limit: int
         ) -> List[Tuple[List[A], List[B]]]:
    """The fewest calls covering every (row, column) pair once: ceil(R/r) x ceil(C/c)."""
    return [(row_chunk, column_chunk) for row_chunk in chunked(rows, row_limit)
            for column_chunk in chunked(columns, column_limit)]
