"""Codes compared upper-cased (contract §3, §8): Unicode's simple one-to-one case mapping.

Python's `str.upper` applies the full mapping (`ß` → `SS`, `ᾀ` → `ἈΙ`), DuckDB's `upper`
the simple one except on one code point (`ß` → `ẞ`, which Unicode maps only the other
way). Both are corrected here, once, so that ingestion and the objectives reader agree
with the contract on every code point (checked against Unicode 14's table in the tests).
"""

# The code points whose full upper-case mapping has several characters but whose simple
# mapping is one other character: Greek letters with ypogegrammeni (UnicodeData.txt).
_SIMPLE_WHERE_FULL_IS_LONGER = {
    **{chr(lower): chr(lower + 8) for start in (0x1F80, 0x1F90, 0x1FA0)
       for lower in range(start, start + 8)},
    "\u1fb3": "\u1fbc", "\u1fc3": "\u1fcc", "\u1ff3": "\u1ffc",
}  # fmt: skip
# DuckDB maps U+00DF (ß) to U+1E9E (ẞ); its simple mapping keeps it.
_DUCKDB_EXCEPTION = "ß"


def simple_upper(text: str) -> str:
    """`text` upper-cased code point by code point with Unicode's simple mapping."""
    if text.isascii():
        return text.upper()
    return "".join(_simple_upper_char(char) for char in text)


def _simple_upper_char(char: str) -> str:
    upper = char.upper()
    if len(upper) == 1:
        return upper
    return _SIMPLE_WHERE_FULL_IS_LONGER.get(char, char)


def upper_sql(expression: str) -> str:
    """DuckDB SQL upper-casing `expression` (an identifier or constant SQL, never data)
    with the simple mapping: DuckDB's `upper` on the parts between the `ß`s."""
    return (
        f"(case when contains({expression}, '{_DUCKDB_EXCEPTION}') "
        f"then array_to_string(list_transform(string_split({expression}, "
        f"'{_DUCKDB_EXCEPTION}'), lambda part: upper(part)), '{_DUCKDB_EXCEPTION}') "
        f"else upper({expression}) end)"
    )
