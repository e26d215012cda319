"""The payloads of a model endpoint: rows encoded as SageMaker requests (``text/csv``, Clarify's
``application/jsonlines`` and ``application/json`` templates) and scores read back from the answer with
Clarify's ``probability`` / ``label`` accessor (a CSV column index, or a JMESPath-like path for JSON,
spec 10). Encoding builds the body with Arrow, column by column: no per-row Python."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.errors import ValidationError

__all__ = ["BODY_HEAD", "CONTENT_TYPES", "CSV", "JSON", "JSON_LINES", "JsonPath", "PayloadFormat"]

CSV = "text/csv"
JSON_LINES = "application/jsonlines"
JSON = "application/json"
CONTENT_TYPES = (CSV, JSON_LINES, JSON)
BODY_HEAD = 200  # bytes of a failed response quoted in errors


# --------------------------------------------------------------------------------------------------
# JMESPath-like accessor


_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)|\"(?P<quoted>(?:[^\"\\]|\\.)*)\"|\[(?P<index>-?\d+|\*)\]|(?P<dot>\.))"
)


class JsonPath:
    """The JMESPath subset Clarify configs use to find scores in JSON: ``score``, ``"a b"``,
    ``predictions[*].score``, ``probabilities[1]``, ``[0]``, ``a.b[-1]``. ``[*]`` projects the rest of
    the path over a list. A missing key or index gives ``None``."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.steps: list[str | int | None] = []  # name, index, or None for [*]
        position, expect_name = 0, True
        while position < len(expression):
            match = _TOKEN.match(expression, position)
            if match is None or match.end() == position:
                raise ValidationError(
                    f"cannot parse {expression!r} at position {position}", field="predictor.probability"
                )
            position = match.end()
            if match.group("dot"):
                expect_name = True
                continue
            if match.group("index") is not None:
                index = match.group("index")
                self.steps.append(None if index == "*" else int(index))
            else:
                if not expect_name:
                    raise ValidationError(
                        f"cannot parse {expression!r} at position {match.start()}",
                        field="predictor.probability",
                    )
                name = (
                    match.group("name")
                    if match.group("name") is not None
                    else json.loads(f'"{match.group("quoted")}"')
                )
                self.steps.append(name)
            expect_name = False
        if not self.steps:
            raise ValidationError("empty path", field="predictor.probability")

    def __call__(self, value: Any) -> Any:
        return self._walk(self.steps, value)

    def _walk(self, steps: list[str | int | None], value: Any) -> Any:
        for k, step in enumerate(steps):
            if step is None:
                if not isinstance(value, list):
                    return None
                return [self._walk(steps[k + 1 :], item) for item in value]
            if isinstance(step, str):
                value = value.get(step) if isinstance(value, dict) else None
            elif isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
            else:
                return None
            if value is None:
                return None
        return value


@functools.lru_cache(maxsize=64)
def _compiled(expression: str) -> JsonPath:
    return JsonPath(expression)


# --------------------------------------------------------------------------------------------------
# payloads


def _column_text(values: np.ndarray, missing: str) -> tuple[pa.Array, np.ndarray | None]:
    """A column's distinct values as shortest round-trip decimal strings (Arrow's float formatting; NaN
    as ``missing``) and each row's index into them — or all values and None when few repeat.

    Synthetic SHAP rows repeat a few values per column, so formatting each distinct value once is
    several times faster than formatting every value.
    """
    array = pa.array(values, type=pa.float64())
    encoded = pc.dictionary_encode(array)
    repeated = 2 * len(encoded.dictionary) <= len(array)
    distinct = encoded.dictionary if repeated else array
    text = pc.cast(distinct, pa.string())
    if pc.any(pc.is_nan(distinct)).as_py():
        text = pc.if_else(pc.is_nan(distinct), pa.scalar(missing), text)
    indices = encoded.indices.to_numpy(zero_copy_only=False) if repeated else None
    return text, indices


def _text_columns(rows: np.ndarray, missing: str) -> list[pa.Array]:
    """Each column's values as decimal strings (see :func:`_column_text`)."""
    columns = []
    for column in np.ascontiguousarray(rows.T):
        text, indices = _column_text(column, missing)
        columns.append(text if indices is None else text.take(pa.array(indices)))
    return columns


def _delimited(rows: np.ndarray, missing: str, *, prefix: str, sep: str, suffix: str) -> bytes:
    """``prefix v0 sep v1 sep ... v_last suffix`` for every row, rows one after another.

    Each column's (distinct) strings get their neighbouring separator appended, the pieces of all
    columns go into one string array, and one ``take`` in row-major order lays the body out in its
    value buffer: no per-row Python and no per-row join.
    """
    n, m = rows.shape
    pieces: list[pa.Array] = []
    index = np.empty((m, n), dtype=np.int32)
    start = 0
    for j, column in enumerate(np.ascontiguousarray(rows.T)):
        text, indices = _column_text(column, missing)
        before = prefix if j == 0 else ""
        after = suffix if j == m - 1 else sep
        pieces.append(pc.binary_join_element_wise(before, text, after, ""))
        index[j] = start + (np.arange(n, dtype=np.int32) if indices is None else indices)
        start += len(text)
    body = pa.concat_arrays(pieces).take(pa.array(index.T.ravel()))
    return _buffer_bytes(body)


def _buffer_bytes(strings: pa.Array) -> bytes:
    """The strings of a string array concatenated: its value buffer between the first and last offset."""
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[[strings.offset, strings.offset + len(strings)]]
    return data[int(bounds[0]) : int(bounds[1])].to_pybytes() if data is not None else b""


def _row_parts(columns: list[pa.Array]) -> list[Any]:
    """``c0 "," c1 "," ... c_last``: the parts of comma-separated values."""
    parts: list[Any] = []
    for j, column in enumerate(columns):
        parts.extend([",", column] if j else [column])
    return parts


def _concat(parts: Sequence[Any], rows: int) -> bytes:
    """Every row's ``parts`` (literal strings and per-row string arrays) concatenated, rows one after
    another: the value buffer of the joined string array is the body, without a per-row Python step."""
    if not any(isinstance(part, pa.Array) for part in parts):
        parts = [*parts, pa.array([""] * rows, pa.string())]
    return _buffer_bytes(pc.binary_join_element_wise(*parts, ""))


_NAMED = re.compile(r'"\$\{([^}]*)\}"')
_PLACEHOLDER = re.compile(r'\$features_kvp|\$feature_names|\$features|"\$\{([^}]*)\}"')


@dataclass(frozen=True)
class PayloadFormat:
    """How rows become a request body and a response body becomes scores (Clarify's predictor fields)."""

    content_type: str = CSV
    accept_type: str = ""  # default: content_type
    content_template: str | None = None
    record_template: str | None = None
    feature_names: tuple[str, ...] = ()
    accessor: int | str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "accept_type", self.accept_type or self.content_type)
        for key in ("content_type", "accept_type"):
            if getattr(self, key) not in CONTENT_TYPES:
                raise ValidationError(
                    f"{getattr(self, key)!r} is not supported; use one of {', '.join(CONTENT_TYPES)}",
                    field=f"predictor.{key}",
                )
        if self.content_type == JSON_LINES and (
            self.content_template is None or self.content_template.count("$features") != 1
        ):
            raise ValidationError(
                "application/jsonlines needs a content_template with one $features placeholder",
                field="predictor.content_template",
            )
        if self.content_type == JSON:
            if self.content_template is None or "$record" not in self.content_template:
                raise ValidationError(
                    "application/json needs a content_template with $records or $record",
                    field="predictor.content_template",
                )
            if self.record_template is None:
                raise ValidationError(
                    "application/json needs a record_template", field="predictor.record_template"
                )
            for name in _NAMED.findall(self.record_template):
                if name not in self.feature_names:
                    raise ValidationError(
                        f"placeholder ${{{name}}} names no feature in headers",
                        field="predictor.record_template",
                    )
            if "$features_kvp" in self.record_template and not self.feature_names:
                raise ValidationError(
                    "$features_kvp needs the feature names (headers)", field="predictor.record_template"
                )
        if (
            self.accept_type == CSV
            and isinstance(self.accessor, str)
            and not self.accessor.lstrip("-").isdigit()
        ):
            raise ValidationError(
                f"a CSV response is indexed by column number, got {self.accessor!r}",
                field="predictor.probability",
            )

    @property
    def single_record(self) -> bool:
        """Whether each request carries one row (``content_template`` with ``$record``, not ``$records``)."""
        return self.content_type == JSON and "$records" not in (self.content_template or "")

    def encode(self, rows: np.ndarray) -> bytes:
        """The request body for ``rows``."""
        if self.content_type == CSV:
            return _delimited(rows, "", prefix="", sep=",", suffix="\n")
        if self.content_type == JSON_LINES:
            before, after = (self.content_template or "").split("$features")
            return _delimited(rows, "null", prefix=before + "[", sep=",", suffix="]" + after + "\n")
        records = _concat([*self._record_parts(rows), ","], len(rows))[:-1].decode()
        template = self.content_template or ""
        if "$records" in template:
            return template.replace("$records", "[" + records + "]").encode()
        return template.replace("$record", records).encode()

    def _record_parts(self, rows: np.ndarray) -> list[Any]:
        """The parts of one ``record_template`` rendering per row."""
        template = self.record_template or ""
        columns = _text_columns(rows, "null")
        parts: list[Any] = []
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(template[position : match.start()])
            token = match.group(0)
            if token == "$features_kvp":
                parts.append("{")
                for j, name in enumerate(self.feature_names):
                    parts.extend([("," if j else "") + json.dumps(name) + ":", columns[j]])
                parts.append("}")
            elif token == "$feature_names":
                parts.append(json.dumps(list(self.feature_names)))
            elif token == "$features":
                parts.extend(["[", *_row_parts(columns), "]"])
            else:
                parts.append(columns[self.feature_names.index(match.group(1))])
            position = match.end()
        parts.append(template[position:])
        return parts

    def decode(self, body: bytes, rows: int, content_type: str | None = None) -> np.ndarray:
        """Scores from a response body: ``rows`` values, or ``(rows, k)`` for k scores per row.

        Raises :class:`ValueError` with the reason; the caller adds the URL and body.
        """
        kind = _kind(content_type) or self.accept_type
        if kind == CSV:
            return self._decode_csv(body.decode("utf-8"), rows)
        text = body.decode("utf-8")
        if kind == JSON_LINES:
            values = [json.loads(line) for line in text.splitlines() if line.strip()]
            return _scores([self._pick(v) for v in values], rows, "JSON lines")
        value = json.loads(text)
        if self.single_record:
            return _scores([self._pick(value)], rows, "records")
        whole = isinstance(self.accessor, str) and self.accessor.startswith("[*]")
        if isinstance(value, list) and not whole:
            return _scores([self._pick(v) for v in value], rows, "records in the JSON list")
        if self.accessor is None:
            raise ValueError("the JSON response is an object; set predictor.probability to locate the scores")
        picked = self._pick(value)
        if not isinstance(picked, list):
            raise ValueError(f"{self.accessor!r} does not give a list of scores: {picked!r}"[:BODY_HEAD])
        return _scores(picked, rows, f"scores at {self.accessor!r}")

    def _pick(self, value: Any) -> Any:
        if self.accessor is None:
            return value
        if isinstance(self.accessor, int) or self.accessor.lstrip("-").isdigit():
            index = int(self.accessor)
            return value[index] if isinstance(value, list) and -len(value) <= index < len(value) else None
        return _compiled(self.accessor)(value)

    def _decode_csv(self, text: str, rows: int) -> np.ndarray:
        if self.accessor in (None, 0, "0") and "," not in text and '"' not in text:
            try:  # fast path: one number per line
                values = pc.cast(pa.array(text.split(), pa.string()), pa.float64()).to_numpy()
            except pa.ArrowInvalid as exc:
                raise ValueError(f"a score is not a number: {exc}") from None
            if len(values) != rows:
                raise ValueError(f"the CSV response has {len(values)} lines for {rows} rows")
            return values
        records = [record for record in csv.reader(io.StringIO(text)) if record]
        if len(records) != rows:
            raise ValueError(f"the CSV response has {len(records)} lines for {rows} rows")
        if self.accessor is None:
            return _scores([[_csv_value(v) for v in record] for record in records], rows, "CSV lines")
        index = int(self.accessor)
        picked = []
        for number, record in enumerate(records, start=1):
            if not -len(record) <= index < len(record):
                raise ValueError(f"CSV line {number} has no column {index}: {record!r}"[:BODY_HEAD])
            picked.append(_csv_value(record[index]))
        return _scores(picked, rows, "CSV lines")


def _kind(content_type: str | None) -> str | None:
    if not content_type:
        return None
    base = content_type.split(";")[0].strip().lower()
    return base if base in CONTENT_TYPES else None


def _csv_value(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    return float(text)


def _scores(values: list[Any], rows: int, what: str) -> np.ndarray:
    if len(values) != rows:
        raise ValueError(f"the response has {len(values)} {what} for {rows} rows")
    flat = [v[0] if isinstance(v, list) and len(v) == 1 else v for v in values]
    try:
        out = np.array(flat, dtype=np.float64)
    except (TypeError, ValueError):
        sample = next(
            (v for v in flat if not isinstance(v, (int, float, list)) or isinstance(v, bool)), flat[0]
        )
        raise ValueError(f"a score is not a number or a list of numbers: {sample!r}"[:BODY_HEAD]) from None
    if out.ndim not in (1, 2):
        raise ValueError(f"scores have shape {out.shape}; expected one number or one list of numbers per row")
    return out
