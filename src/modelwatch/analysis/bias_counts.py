"""The mergeable group counts of a bias analysis (:class:`BiasCounts`), over the membership codes that
:mod:`modelwatch.analysis.bias_typing` gives each batch's role columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.analysis.bias_typing import (
    ColumnState,
    Parsed,
    membership_codes,
    parse_column,
)

__all__ = [
    "BiasColumns",
    "BiasCounts",
    "BiasTally",
    "FacetTally",
]

# --------------------------------------------------------------------------------------------------
# The aggregate


@dataclass(frozen=True)
class BiasColumns:
    """Which columns play which role, and the values that define the positive label and facet d.

    ``ft_features`` are the columns the Flip Test's nearest neighbours use (facet columns included; each
    facet's own column is left out when its FT runs). None keeps no feature rows, so FT is not computed.
    FT needs the rows themselves, not counts: at most ``ft_max_rows`` are kept.
    """

    label: str
    label_values: tuple[Any, ...]
    facets: tuple[tuple[str, tuple[Any, ...] | None], ...]
    predicted_label: str | None = None
    group: str | None = None
    ft_features: tuple[str, ...] | None = None
    ft_max_rows: int = 200_000

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "label_values": list(self.label_values),
            "facets": [[name, None if values is None else list(values)] for name, values in self.facets],
            "predicted_label": self.predicted_label,
            "group": self.group,
            "ft_features": None if self.ft_features is None else list(self.ft_features),
            "ft_max_rows": self.ft_max_rows,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BiasColumns:
        return cls(
            label=d["label"],
            label_values=tuple(d["label_values"]),
            facets=tuple((name, None if v is None else tuple(v)) for name, v in d["facets"]),
            predicted_label=d.get("predicted_label"),
            group=d.get("group"),
            ft_features=None if d.get("ft_features") is None else tuple(d["ft_features"]),
            ft_max_rows=int(d.get("ft_max_rows", 200_000)),
        )

    def role_columns(self) -> list[str]:
        """The label, predicted label, facet and group columns, each once, in that order."""
        names = [self.label]
        names += [self.predicted_label] if self.predicted_label else []
        names += [name for name, _ in self.facets]
        names += [self.group] if self.group else []
        return list(dict.fromkeys(names))


_KEYS = ["f", "y", "p", "g"]
_SETTLE_ROWS = 200_000  # pending grouped rows per facet before they are merged


def _group(table: pa.Table) -> pa.Table:
    grouped = table.group_by(_KEYS, use_threads=False).aggregate([("first", "min"), ("count", "sum")])
    return grouped.rename_columns({"first_min": "first", "count_sum": "count"}).select(
        [*_KEYS, "first", "count"]
    )


def _table_to_b64(table: pa.Table) -> str:
    import base64

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _table_from_b64(text: str) -> pa.Table:
    import base64

    return pa.ipc.open_stream(base64.b64decode(text)).read_all()


@dataclass(frozen=True)
class FacetTally:
    """The settled counts of one facet: one row per distinct (facet code or value, label code,
    predicted-label code, group value), with the first row index at which it was seen."""

    f: np.ndarray  # int16 membership codes, or object strings (one-vs-rest: the raw values)
    y: np.ndarray
    p: np.ndarray
    g: list[str | None]
    first: np.ndarray
    count: np.ndarray


@dataclass(frozen=True)
class BiasTally:
    """What :meth:`BiasCounts.finalize` returns: the per-facet counts, column summaries and FT rows."""

    spec: BiasColumns
    rows: int
    columns: dict[str, ColumnState]
    present: frozenset[str]
    facets: tuple[FacetTally | None, ...]  # None: the facet column is not in the data
    ft_rows: pa.Table | None
    ft_dropped: bool


@dataclass
class BiasCounts:
    """Mergeable group counts for bias metrics: ``zero`` / ``update`` / ``merge`` / ``finalize``.

    One scan of Arrow batches counts rows per (facet membership, label membership, predicted-label
    membership, group value) for every facet, plus a :class:`ColumnState` per role column, so every
    metric but FT is a function of the counts. Memory is bounded by the number of distinct keys: small
    for membership codes, as large as the number of distinct group values (and of facet values in
    one-vs-rest mode). FT keeps up to ``ft_max_rows`` feature rows.

    ``merge(a, b)`` treats b's rows as following a's: counts are order-free (merge is commutative for
    them), while the order of first appearance (one-vs-rest facet order) and the FT row order follow the
    merge order, so merge is associative and commutative up to those two orders.
    """

    spec: BiasColumns
    rows: int = 0
    columns: dict[str, ColumnState] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    tables: list[list[pa.Table]] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    ft: list[pa.Table] = field(default_factory=list)
    ft_kept: int = 0
    ft_dropped: bool = False

    @classmethod
    def zero(cls, spec: BiasColumns) -> BiasCounts:
        return cls(spec=spec, tables=[[] for _ in spec.facets], pending=[0 for _ in spec.facets])

    # ---- update

    def update(self, batch: pa.RecordBatch | pa.Table) -> BiasCounts:
        """Count one batch. A missing label, predicted-label or group column raises
        :class:`~modelwatch.errors.DataError`; a missing facet column fails only that facet's report."""
        from modelwatch.errors import DataError

        names = set(batch.schema.names)
        spec = self.spec
        for role, name in (
            ("label", spec.label),
            ("predicted label", spec.predicted_label),
            ("group variable", spec.group),
        ):
            if name is not None and name not in names:
                raise DataError(
                    f"the {role} column is not in the data (columns: {', '.join(batch.schema.names)})",
                    column=name,
                )
        n = batch.num_rows
        if n == 0:
            return self
        wanted = [c for c in spec.role_columns() if c in names]
        ft_names = [c for c in (spec.ft_features or ()) if c in names]
        parsed = {name: parse_column(batch.column(name)) for name in dict.fromkeys(wanted + ft_names)}
        for name, column in parsed.items():
            self.columns.setdefault(name, ColumnState()).update(column)
        self.present |= set(parsed)
        self.missing |= {name for name, _ in spec.facets if name not in names}
        y = membership_codes(parsed[spec.label], spec.label_values)
        p = (
            membership_codes(parsed[spec.predicted_label], spec.label_values)
            if spec.predicted_label
            else np.zeros(n, np.int16)
        )
        g = parsed[spec.group].text if spec.group else pa.nulls(n, pa.string())
        first = np.arange(self.rows, self.rows + n, dtype=np.int64)
        facet_codes: list[Any] = []
        for j, (name, values) in enumerate(spec.facets):
            if name not in names:
                facet_codes.append(None)
                continue
            f: Any = membership_codes(parsed[name], values) if values is not None else parsed[name].text
            facet_codes.append(f)
            table = pa.table({"f": f, "y": y, "p": p, "g": g, "first": first, "count": np.ones(n, np.int64)})
            self._add(j, _group(table))
        if spec.ft_features is not None:
            self._keep_ft_rows(parsed, ft_names, p, facet_codes, n)
        self.rows += n
        return self

    def _add(self, j: int, table: pa.Table) -> None:
        self.tables[j].append(table)
        self.pending[j] += table.num_rows
        if len(self.tables[j]) > 1 and self.pending[j] > _SETTLE_ROWS:
            self._settle(j)

    def _settle(self, j: int) -> None:
        if len(self.tables[j]) > 1:
            merged = _group(pa.concat_tables(self.tables[j], promote_options="permissive"))
            self.tables[j] = [merged]
        self.pending[j] = sum(t.num_rows for t in self.tables[j])

    def _keep_ft_rows(
        self, parsed: dict[str, Parsed], ft_names: list[str], p: np.ndarray, facet_codes: list[Any], n: int
    ) -> None:
        if self.ft_dropped or self.ft_kept + n > self.spec.ft_max_rows:
            self.ft_dropped = True
            self.ft = []
            self.ft_kept = 0
            return
        columns: dict[str, Any] = {f"x:{name}": parsed[name].num for name in ft_names}
        columns["__p"] = p
        for j, code in enumerate(facet_codes):
            if code is not None:
                columns[f"__f{j}"] = code
        self.ft.append(pa.table(columns))
        self.ft_kept += n

    # ---- merge

    def merge(self, other: BiasCounts) -> BiasCounts:
        """The counts of this data followed by ``other``'s (a new object; neither input changes)."""
        if other.spec != self.spec:
            raise ValueError("cannot merge bias counts of different column specifications")
        tables = []
        for j in range(len(self.spec.facets)):
            shifted = [
                t.set_column(t.schema.get_field_index("first"), "first", pc.add(t.column("first"), self.rows))
                for t in other.tables[j]
            ]
            tables.append([*self.tables[j], *shifted])
        columns = dict(self.columns)
        for name, state in other.columns.items():
            columns[name] = columns[name].merge(state) if name in columns else state
        ft_dropped = (
            self.ft_dropped or other.ft_dropped or self.ft_kept + other.ft_kept > self.spec.ft_max_rows
        )
        merged = BiasCounts(
            spec=self.spec,
            rows=self.rows + other.rows,
            columns=columns,
            present=self.present | other.present,
            missing=self.missing | other.missing,
            tables=tables,
            pending=[sum(t.num_rows for t in ts) for ts in tables],
            ft=[] if ft_dropped else [*self.ft, *other.ft],
            ft_kept=0 if ft_dropped else self.ft_kept + other.ft_kept,
            ft_dropped=ft_dropped,
        )
        for j in range(len(tables)):
            if merged.pending[j] > _SETTLE_ROWS:
                merged._settle(j)
        return merged

    # ---- finalize

    def finalize(self) -> BiasTally:
        """Settle the counts (the aggregate itself stays usable)."""
        facets: list[FacetTally | None] = []
        for j, (name, values) in enumerate(self.spec.facets):
            if name in self.missing or (self.rows and name not in self.present):
                facets.append(None)
                continue
            self._settle(j)
            if not self.tables[j]:
                facets.append(_empty_tally(values is None))
                continue
            t = self.tables[j][0]
            facets.append(
                FacetTally(
                    f=np.asarray(t.column("f").to_numpy(zero_copy_only=False)),
                    y=np.asarray(t.column("y").to_numpy(zero_copy_only=False), dtype=np.int16),
                    p=np.asarray(t.column("p").to_numpy(zero_copy_only=False), dtype=np.int16),
                    g=t.column("g").to_pylist(),
                    first=np.asarray(t.column("first").to_numpy(zero_copy_only=False), dtype=np.int64),
                    count=np.asarray(t.column("count").to_numpy(zero_copy_only=False), dtype=np.int64),
                )
            )
        ft = None
        if self.spec.ft_features is not None and not self.ft_dropped and self.ft:
            ft = pa.concat_tables(self.ft, promote_options="permissive")
        return BiasTally(
            spec=self.spec,
            rows=self.rows,
            columns=dict(self.columns),
            present=frozenset(self.present),
            facets=tuple(facets),
            ft_rows=ft,
            ft_dropped=self.ft_dropped,
        )

    # ---- serialisation

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (counts as Arrow IPC in base64) that :meth:`from_dict` reads back."""
        for j in range(len(self.spec.facets)):
            self._settle(j)
        return {
            "spec": self.spec.to_dict(),
            "rows": self.rows,
            "columns": {name: state.to_dict() for name, state in self.columns.items()},
            "present": sorted(self.present),
            "missing": sorted(self.missing),
            "tables": [[_table_to_b64(t) for t in ts] for ts in self.tables],
            "ft": [_table_to_b64(t) for t in self.ft],
            "ft_kept": self.ft_kept,
            "ft_dropped": self.ft_dropped,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BiasCounts:
        tables = [[_table_from_b64(t) for t in ts] for ts in d["tables"]]
        return cls(
            spec=BiasColumns.from_dict(d["spec"]),
            rows=int(d["rows"]),
            columns={name: ColumnState.from_dict(s) for name, s in d["columns"].items()},
            present=set(d["present"]),
            missing=set(d["missing"]),
            tables=tables,
            pending=[sum(t.num_rows for t in ts) for ts in tables],
            ft=[_table_from_b64(t) for t in d["ft"]],
            ft_kept=int(d["ft_kept"]),
            ft_dropped=bool(d["ft_dropped"]),
        )


def _empty_tally(one_vs_rest: bool) -> FacetTally:
    return FacetTally(
        f=np.empty(0, dtype=object if one_vs_rest else np.int16),
        y=np.empty(0, np.int16),
        p=np.empty(0, np.int16),
        g=[],
        first=np.empty(0, np.int64),
        count=np.empty(0, np.int64),
    )
