"""Reading a spreadsheet (CSV or XLSX) into rows of text cells, safely.

Nothing in a file is ever evaluated: CSV cells are text as written (one starting with
``=``, ``+``, ``-`` or ``@`` stays that text), and an XLSX sheet is read for its values,
never its formulas: a formula cell is refused, naming its row and column. A file over
``MAX_BYTES``, an XLSX whose parts would inflate past ``MAX_INFLATED_BYTES``, and
anything that is neither CSV text nor an XLSX workbook are refused before a row is read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from commands.imports.problems import Problem, SpreadsheetRefused, SpreadsheetTooLarge

MAX_BYTES = 5 * 1024 * 1024
"""The largest file accepted (5 MiB)."""
MAX_INFLATED_BYTES = 50 * 1024 * 1024
"""An XLSX is a zip archive: the most its parts may hold once unpacked."""
MAX_ROWS = 20_000
"""Rows a file may hold (header aside); a request over HTTP passes a lower limit."""
MAX_COLUMNS = 60
"""Columns read from each row; later ones are ignored (the templates have 21 at most)."""
MAX_CELL = 4000
XLSX_MAGIC = b"PK\x03\x04"
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Row:
    number: int
    """The row's number in the file, as a spreadsheet shows it (the header is row 1)."""
    cells: dict[str, str]
    """Column name (lower case, from the header) → the cell's text, stripped."""


@dataclass(frozen=True)
class Sheet:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def letter(self, column: str) -> str:
        """The spreadsheet letter of a column (A, B, ... AA)."""
        if column not in self.columns:
            return ""
        index, letters = self.columns.index(column) + 1, ""
        while index:
            index, rest = divmod(index - 1, 26)
            letters = chr(65 + rest) + letters
        return letters


def refuse_file(code: str, message: str) -> SpreadsheetRefused:
    return SpreadsheetRefused([Problem(code, message)])


def read_sheet(data: bytes, *, max_rows: int = MAX_ROWS) -> Sheet:
    """The first sheet of a CSV or XLSX file, header first, blank rows skipped."""
    if len(data) > MAX_BYTES:
        raise SpreadsheetTooLarge(
            [Problem("file_too_large", f"the file is over the limit of {MAX_BYTES} bytes")]
        )
    read = _xlsx_rows if data.startswith(XLSX_MAGIC) else _csv_rows
    table = read(data, max_rows)
    rows = [r for r in table if any(cell for _, cell in r[1])]
    if not rows:
        raise refuse_file("empty_spreadsheet", "the file holds no header row")
    header_number, header = rows[0]
    columns = tuple(cell.strip().lower() for _, cell in header)
    for at, name in enumerate(columns):
        if name and name in columns[:at]:
            problem = Problem("duplicate_column", f"column {name} appears twice", header_number)
            raise SpreadsheetRefused([problem])
    body = tuple(
        Row(
            number,
            {name: cell.strip() for name, (_, cell) in zip(columns, cells, strict=False) if name},
        )
        for number, cells in rows[1:]
    )
    if len(body) > max_rows:
        raise refuse_file("too_many_rows", f"a file may hold at most {max_rows} rows here")
    return Sheet(columns, body)


def _csv_rows(data: bytes, max_rows: int) -> list[tuple[int, list[tuple[str, str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse_file(
            "not_a_spreadsheet", "the file is neither UTF-8 CSV text nor an XLSX workbook"
        ) from None
    if "\x00" in text or not text.strip():
        raise refuse_file(
            "not_a_spreadsheet", "the file is neither UTF-8 CSV text nor an XLSX workbook"
        )
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # the header's separator; commas by default
    rows: list[tuple[int, list[tuple[str, str]]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            for cell in cells:
                if len(cell) > MAX_CELL:
                    raise SpreadsheetRefused(
                        [
                            Problem(
                                "cell_too_long", f"a cell holds over {MAX_CELL} characters", number
                            )
                        ]
                    )
            rows.append((number, [("", cell) for cell in cells[:MAX_COLUMNS]]))
            if number > max_rows + 1:
                raise refuse_file("too_many_rows", f"a file may hold at most {max_rows} rows here")
    except csv.Error as error:
        raise refuse_file("not_a_spreadsheet", f"the CSV cannot be read: {error}") from None
    return rows


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, list[tuple[str, str]]]]:
    from openpyxl import load_workbook

    not_xlsx = refuse_file(
        "not_a_spreadsheet", "the file is a zip archive but not an XLSX workbook"
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_xlsx from None
    if inflated > MAX_INFLATED_BYTES:
        problem = Problem("file_too_large", "the workbook would unpack to more than 50 MiB")
        raise SpreadsheetTooLarge([problem])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise not_xlsx from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise refuse_file("empty_spreadsheet", "the workbook holds no sheet")
        rows: list[tuple[int, list[tuple[str, str]]]] = []
        header: dict[str, str] = {}
        for at, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            number = next((c.row for c in cells if getattr(c, "row", None)), at)
            if len(rows) > max_rows + 1:
                raise refuse_file("too_many_rows", f"a file may hold at most {max_rows} rows here")
            values = [_xlsx_cell(number, c, header) for c in cells]
            if not header and any(v for _, v in values):
                header = {letter: value.strip().lower() for letter, value in values}
            rows.append((number, values))
        return rows
    except SpreadsheetRefused:
        raise
    except Exception:
        raise not_xlsx from None
    finally:
        book.close()


def _xlsx_cell(number: int, cell: object, header: dict[str, str]) -> tuple[str, str]:
    letter = getattr(cell, "column_letter", "") or ""
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f":
        raise SpreadsheetRefused(
            [
                Problem(
                    "formula_cell",
                    f"cell {letter}{number} holds a formula; imports read values only "
                    "(paste it as a value)",
                    number,
                    header.get(letter) or letter,
                )
            ]
        )
    return letter, _text(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    text = str(value)
    if len(text) > MAX_CELL:
        raise refuse_file("cell_too_long", f"a cell holds over {MAX_CELL} characters")
    return text
