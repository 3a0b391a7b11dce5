"""Read a results CSV: decoding, lines, the header, rows, and the identifier rule.

The first step of the import (outcomes.csv_import): the file is read once, as a stream,
in READ_BLOCK blocks, UTF-8 with or without BOM, `,` or `;`. Identifier-like columns are
refused from the header alone (`identifier_reason`); every error found while reading is
counted in `ReadErrors`, the first MAX_REPORTED kept as `RowError`s.
"""

import codecs
import csv
import datetime
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

MAX_REPORTED = 1000
MAX_LINE_CHARS = 4096
READ_BLOCK = 1 << 16
_LONGEST_READ = 1 << 20  # a line without end this long is refused unread (MAX_LINE_CHARS)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

PARTICIPANT_COLUMNS = ("participant_id", "metric", "cohort", "period", "date_achieved")
RESULT_COLUMNS = ("metric", "cohort", "period", "stage", "value")
# additional_reason: a row that gives one is declared additional to its cell (outcomes.cells).
RESULT_OPTIONAL = ("comparison_value", "sample_size", "comparison_sample_size", "additional_reason")

# Direct identifiers (CNIL): a column whose normalised name contains one of these words is
# refused outright, even empty. Matched on words, accents and case removed.
_IDENTIFIER_PATTERNS = (
    (r"\b(first|last|family|given|full|sur|maiden)?\s?names?\b", "a name"),
    (r"\b(nom|noms|prenom|prenoms|nom de famille|nom d usage|nom de naissance)\b", "a name"),
    (r"\b(e ?mail|courriel|mel)\b", "an e-mail address"),
    (r"\b(phone|telephone|tel|mobile|portable|gsm|cell)\b", "a phone number"),
    (r"\b(address|adresse|street|rue|code postal|postcode|zip|postal)\b", "a postal address"),
    (
        r"\b(date of birth|birth ?date|dob|born|date de naissance|naissance|ddn|birthday)\b",
        "a date of birth",
    ),
    (
        r"\b(nir|ssn|social security|securite sociale|secu|insee|numero de securite"
        r"|national insurance|nino|passport|passeport|id card|carte d identite)\b",
        "a social-security or identity-document number",
    ),
    (r"\b(ip|ip address|iban)\b", "a direct identifier"),
)


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": f"line {self.line}" + (f", {self.column}" if self.column else ""),
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
        }


class ImportRejected(Exception):
    """The file was refused; nothing was written. `errors` holds the first MAX_REPORTED."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = sorted(errors)[:MAX_REPORTED]
        self.total = total
        super().__init__(f"{total} error(s); first: {self.errors[0] if self.errors else '-'}")


def identifier_reason(column: str) -> str | None:
    """Return what direct identifier a column name looks like, or None."""
    text = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    if text in {"participant id"}:
        return None
    for pattern, what in _IDENTIFIER_PATTERNS:
        if re.search(pattern, text):
            return what
    return None


class ReadErrors:
    """Errors found while reading: all counted, the first MAX_REPORTED kept."""

    def __init__(self) -> None:
        self.kept: list[RowError] = []
        self.total = 0

    def add(self, line: int, column: str, rule: str, message: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_REPORTED:
            self.kept.append(RowError(line, column, rule, message))


class Unreadable(Exception):
    """The file cannot be read on from `line`: a byte that is not UTF-8, or a line so long
    that keeping it would mean holding the file in memory."""

    def __init__(
        self,
        line: int,
        rule: str = "encoding",
        message: str = "Not UTF-8 from this line on; reading stopped.",
    ) -> None:
        self.line = line
        self.rule = rule
        self.message = message


def decoded_blocks(raw: IO[bytes], digest: Any) -> Iterator[str]:
    """Yield the file decoded as strict UTF-8 (BOM dropped) in blocks of whole lines.

    Every block but the last ends with a newline. The bytes are hashed on the way. A line
    that has no end within _LONGEST_READ characters stops the reading (memory stays flat),
    and so does a NUL character, which no PostgreSQL text can hold.
    Decoding here rather than through io.TextIOWrapper lets an encoding error name its
    line: the lines before it are counted, and so are the newlines before the bad byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = ""
    lines_done = 0
    first = True
    while True:
        block = raw.read(READ_BLOCK)
        digest.update(block)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            before = exc.object[: exc.start].count(b"\n") if isinstance(exc.object, bytes) else 0
            raise Unreadable(lines_done + before + 1) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        if not block:
            break
        text = pending + text if pending else text
        held = ""
        if "\r" in text:
            if text.endswith("\r"):
                text, held = text[:-1], "\r"  # its LF may open the next read
            text = _bare_cr_to_lf(text)
        if "\x00" in text:  # UTF-16 saved without BOM, or not text: COPY cannot take it
            nul = text.index("\x00")
            raise Unreadable(
                lines_done + text.count("\n", 0, nul) + 1,
                "encoding",
                "A NUL character: not a UTF-8 text file (save it as CSV UTF-8); reading stopped.",
            )
        cut = text.rfind("\n") + 1
        pending = text[cut:] + held
        if cut:
            lines_done += text.count("\n", 0, cut)
            yield text[:cut]
        if len(pending) > _LONGEST_READ:
            raise Unreadable(
                lines_done + 1,
                "line_too_long",
                f"No end of line within {_LONGEST_READ:,} characters; reading stopped.",
            )
    if pending or text:
        yield _bare_cr_to_lf(pending + text)


_BARE_CR = re.compile(r"\r(?!\n)")


def _bare_cr_to_lf(text: str) -> str:
    """Read a lone carriage return as a line end, as csv and universal newlines do.

    Files saved by old Mac software end their lines in CR alone; a stray CR in the
    header did the same damage. Both used to reach csv.reader as one huge line (a 500).
    """
    return _BARE_CR.sub("\n", text) if "\r" in text else text


# ASCII characters that str.strip() removes, but not the newline; and the same for any text.
_ASCII_SPACES = (" ", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
_SPACE = re.compile(r"[^\S\r\n]")


def plain_lines(block: str) -> list[str] | None:
    """Return the block's lines without their ending, if none needs csv.reader or strip().

    A plain block has no quote, no white space inside a line (so no value to strip) and
    no line over MAX_LINE_CHARS; its lines end all in LF or all in CRLF. Splitting it on
    the separator then gives exactly what the careful path (data_rows) would.
    """
    if '"' in block:
        return None
    newline = "\n"
    if "\r" in block:
        crlf = block.count("\r\n")
        if crlf != block.count("\r") or crlf != block.count("\n"):
            return None
        newline = "\r\n"
    if block.isascii():
        if any(space in block for space in _ASCII_SPACES):
            return None
    elif _SPACE.search(block):
        return None
    lines = block.split(newline)
    if not lines[-1]:
        lines.pop()
    if max(map(len, lines), default=0) > MAX_LINE_CHARS:
        return None
    return lines


class Lines:
    """The file's lines, numbered; a plain stretch of them can be taken whole.

    Iterating yields one line at a time with its newline (what csv.reader and the header
    want); `plain_block()` hands over the rest of the current block, or the next block,
    when it is plain (see plain_lines), which spares the million-row case the per-line
    checks. `number` is the number of the last line handed out, either way.
    """

    def __init__(self, blocks: Iterator[str]) -> None:
        self._blocks = blocks
        self._text = ""
        self._at = 0
        self.number = 0
        self.done = False

    def __iter__(self) -> "Lines":
        return self

    def _load(self) -> bool:
        try:
            self._text = next(self._blocks)
        except StopIteration:
            self.done = True
            self._text, self._at = "", 0
            return False
        except Unreadable:
            self.done = True
            self._text, self._at = "", 0
            raise
        self._at = 0
        return True

    @property
    def at_block_end(self) -> bool:
        return self._at >= len(self._text)

    def __next__(self) -> str:
        if self._at >= len(self._text) and not self._load():
            raise StopIteration
        end = self._text.find("\n", self._at) + 1 or len(self._text)
        line = self._text[self._at : end]
        self._at = end
        self.number += 1
        return line

    def plain_block(self) -> list[str] | None:
        """Take the rest of the block whole if it is plain; None if not, or at the end."""
        if self._at >= len(self._text) and not self._load():
            return None
        rest = self._text[self._at :] if self._at else self._text
        lines = plain_lines(rest)
        if lines is not None:
            self._at = len(self._text)
            self.number += len(lines)
        return lines


def is_iso_date(text: str) -> bool:
    """Whether a text is a date the import takes: the rule of outcomes_is_iso_date.

    YYYY-MM-DD in ASCII digits, a day that exists, year 1 or later. Migration 0002 has
    the same rule in SQL; tests/outcomes/test_csv_reading.py holds the two together.
    """
    if _ISO_DATE.fullmatch(text) is None:
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


@dataclass
class Header:
    kind: str
    delimiter: str
    index: dict[str, int]
    width: int


def read_header(lines: Lines, errors: ReadErrors) -> Header | None:
    try:
        first = next(lines, "")
    except Unreadable as exc:
        if exc.rule == "encoding":
            errors.add(exc.line, "", "encoding", "The file is not UTF-8 (save it as CSV UTF-8).")
        else:
            errors.add(exc.line, "", exc.rule, exc.message)
        return None
    if not first.strip():
        errors.add(1, "", "empty_file", "The file is empty: expected a header line.")
        return None
    if len(first) > MAX_LINE_CHARS:
        errors.add(
            1, "", "line_too_long", f"The header is longer than {MAX_LINE_CHARS} characters."
        )
        return None
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        cells = next(csv.reader([first], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        errors.add(1, "", "csv_syntax", f"The header is not valid CSV: {exc}.")
        return None
    names = [n.strip().strip('"').strip().lower() for n in cells]
    if len(names) == 1:
        errors.add(
            1,
            "",
            "separator",
            f"Only one column found ({names[0][:60]!r}): separate columns with ',' or ';'.",
        )
        return None
    found_identifier = False
    for name in names:
        reason = identifier_reason(name)
        if reason:
            found_identifier = True
            errors.add(
                1,
                name,
                "identifier_column",
                f"Column {name!r} looks like {reason}. The ledger stores no direct identifier: "
                "remove the column; participants are known only by the provider's "
                "participant_id, which is pseudonymised on import.",
            )
    kind = "participants" if "participant_id" in names else "results"
    required = PARTICIPANT_COLUMNS if kind == "participants" else RESULT_COLUMNS
    allowed = set(required) | (set(RESULT_OPTIONAL) if kind == "results" else set())
    for column in required:
        if column not in names:
            errors.add(1, column, "missing_column", f"Required column {column!r} is missing.")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.add(1, name, "repeated_column", f"Column {name!r} appears twice.")
        seen.add(name)
        if name not in allowed and not identifier_reason(name):
            errors.add(
                1,
                name,
                "unknown_column",
                f"Unknown column {name!r}; expected {', '.join(sorted(allowed))}.",
            )
    if errors.total or found_identifier:
        return None
    return Header(kind, delimiter, {n: i for i, n in enumerate(names)}, len(names))


def field_count_error(errors: ReadErrors, line: int, row: list[str], header: Header) -> None:
    if len(row) == 1 and not row[0].strip():
        return  # a blank line, e.g. a trailing one
    errors.add(
        line,
        "",
        "field_count",
        f"{len(row)} fields where the header has {header.width} (is the separator "
        f"{header.delimiter!r} used inside a value without quotes?).",
    )


def data_rows(
    lines: Lines, header: Header, errors: ReadErrors, *, to_block_end: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for rows of the right width; record the others.

    A line without a quote is split on the separator directly, which is what the csv
    module would do with it, at a fraction of the cost; a line with a quote (or a stray
    carriage return) goes through csv.reader, which may read the following lines of a
    quoted value. A row's number is the line it starts on. With `to_block_end`, stop at
    the end of the current block (a quoted value may carry the reading into the next).
    An encoding or CSV syntax error stops the reading for good (`lines.done`).
    """
    csv.field_size_limit(MAX_LINE_CHARS)
    delimiter, width = header.delimiter, header.width
    while not (to_block_end and lines.at_block_end):
        try:
            text = next(lines)
        except StopIteration:
            return
        except Unreadable as exc:
            errors.add(exc.line, "", exc.rule, exc.message)
            return
        start = lines.number
        body = text[:-1] if text.endswith("\n") else text
        if body.endswith("\r"):
            body = body[:-1]
        if '"' not in body and "\r" not in body:
            row = body.split(delimiter)
            size = len(body) - len(row) + 1
        else:
            reader = csv.reader(itertools.chain([text], lines), delimiter=delimiter, strict=True)
            try:
                row = next(reader, [])
            except Unreadable as exc:
                errors.add(exc.line, "", exc.rule, exc.message)
                return
            except csv.Error as exc:
                rule = "line_too_long" if "field larger" in str(exc) else "csv_syntax"
                errors.add(lines.number, "", rule, f"{exc}; reading stopped.")
                lines.done = True
                return
            size = sum(map(len, row))
        if len(row) != width:
            if row:
                field_count_error(errors, start, row, header)
            continue
        if size > MAX_LINE_CHARS:
            errors.add(start, "", "line_too_long", f"Longer than {MAX_LINE_CHARS} characters.")
            continue
        yield start, row
