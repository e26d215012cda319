"""Lines written into hour folders (``{folder}/yyyy/mm/dd/HH/{name}``) by the hour of a time per line."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from modelwatch.io.payload_fields import joined_bytes
from modelwatch.io.storage import join_uri, write_bytes

__all__ = ["write_lines_by_hour"]


def write_lines_by_hour(lines: pa.Array, times: pa.Array, folder_uri: str, name: str) -> list[str]:
    """Write ``lines`` (strings, each ending in a newline) into the hour folders of ``times`` (timestamps,
    one per line), in their order, one file ``name`` per hour; the written URIs, hour by hour.

    Raises:
        StorageError: a file cannot be written.
    """
    if not len(lines):
        return []
    hours = pc.floor_temporal(times, unit="hour")
    written = []
    for hour in pc.unique(hours).sort().to_pylist():
        rows = pc.equal(hours, pa.scalar(hour, hours.type))
        uri = join_uri(folder_uri, f"{hour:%Y/%m/%d/%H}", name)
        write_bytes(uri, joined_bytes(lines.filter(rows)).to_pybytes())
        written.append(uri)
    return written
