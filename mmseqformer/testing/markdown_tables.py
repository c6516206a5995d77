"""Reading markdown tables back, for tests of documents and reports."""
from typing import List


def markdown_table_rows(markdown: str) -> List[List[str]]:
    """The cells of a markdown table's body rows (every line that starts
    with ``|``, less the header and its rule)."""
    lines = [line for line in markdown.splitlines() if line.startswith('|')]
    return [[cell.strip() for cell in line.strip('|').split('|')]
            for line in lines[2:]]
