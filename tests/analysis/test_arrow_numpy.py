"""numpy ↔ Arrow without pandas: same values as pyarrow's own conversions, slices included."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from modelwatch.analysis.arrow_numpy import bool_mask, empty_strings, from_numpy, positions, strings, to_numpy


@pytest.mark.parametrize("arrow_type", [pa.float64(), pa.int64(), pa.int32(), pa.uint8(), pa.bool_()])
@pytest.mark.parametrize(("offset", "length"), [(0, 0), (0, 19), (3, 11), (9, 10)])
def test_to_numpy_equals_pyarrow(arrow_type: pa.DataType, offset: int, length: int) -> None:
    base = pa.array(np.arange(19) % 3 == 1) if arrow_type == pa.bool_() else pa.array(np.arange(19) * 7)
    array = base.cast(arrow_type).slice(offset, length)
    np.testing.assert_array_equal(to_numpy(array), array.to_numpy(zero_copy_only=False))
    assert to_numpy(array).dtype == array.to_numpy(zero_copy_only=False).dtype


def test_arrays_with_nulls_go_through_pyarrow() -> None:
    array = pa.array([1.0, None, 3.0])
    np.testing.assert_array_equal(to_numpy(array), [1.0, np.nan, 3.0])


def test_mask_positions_and_numbers_build_arrow_arrays() -> None:
    values = pa.array(["a", "b", "c", "d", "e", "f", "g", "h", "i"])
    mask = np.array([True, False, True, True, False, False, False, False, True])
    assert values.filter(bool_mask(mask)).to_pylist() == ["a", "c", "d", "i"]
    assert values.take(positions(np.array([8, 0, 0]))).to_pylist() == ["i", "a", "a"]
    assert from_numpy(np.array([1.5, -2.0])).to_pylist() == [1.5, -2.0]
    assert pc.sum(from_numpy(np.array([3, 4], dtype=np.int64))).as_py() == 7
    assert len(empty_strings()) == 0 and empty_strings().type == pa.string()
    with pytest.raises(TypeError, match="unsupported dtype"):
        from_numpy(np.array(["x"], dtype=object))


def test_profiling_a_csv_does_not_import_pandas(tmp_path) -> None:
    """pandas costs ~0.25 s of start-up; the baseline of a small CSV must not load it."""
    data = tmp_path / "d.csv"
    data.write_text("a,b,c\n1,x,2.5\n2,y,\n3,x,1e3\n")
    script = textwrap.dedent(
        f"""
        import sys
        from modelwatch.monitors.data_quality import suggest_baseline
        suggest_baseline({str(data)!r}, {str(tmp_path / "out")!r}, format="csv", header=True)
        assert "pandas" not in sys.modules, "pandas was imported"
        assert "llvmlite" not in sys.modules, "llvmlite was imported for 3 rows"
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_strings_build_the_same_array_as_pyarrow() -> None:
    values = ["", "a", "é", "日本", "x" * 300, "a,b"]
    built = strings(values)
    assert built.type == pa.string()
    assert built.to_pylist() == values
    assert built.equals(pa.array(values, pa.string()))
    assert strings([]).to_pylist() == []
