"""Markdown tables of benchmark results."""
from typing import Optional, Sequence


def markdown_row(cells: Sequence[str]) -> str:
    """One table line; empty cells stay empty (``|  |``)."""
    return '| ' + ' | '.join(cells) + ' |'


def markdown_table(header: Sequence[str],
                   rows: Sequence[Sequence[str]]) -> str:
    """A table of ``header`` and ``rows`` (cells already text)."""
    lines = [markdown_row(header), markdown_row(['---'] * len(header))]
    return '\n'.join(lines + [markdown_row(row) for row in rows])


def number_cell(value: Optional[float], digits: int = 3) -> str:
    """``value`` with ``digits`` decimals; ``n/a`` for None or NaN."""
    if value is None or value != value:
        return 'n/a'
    return f'{value:.{digits}f}'
