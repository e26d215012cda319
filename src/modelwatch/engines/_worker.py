"""A worker process of the local engine: ``python -m modelwatch.engines._worker``.

Reads one pickled request (parts, column names, top values) from stdin, profiles the parts in order
and writes back one pickled reply: ``("ok", [partial profile dicts])`` or ``("error", exception)``.
A plain subprocess (not ``multiprocessing``) never re-imports the caller's ``__main__`` module and
never forks a process that holds Arrow's threads.
"""

from __future__ import annotations

import pickle
import sys

from modelwatch.engines.local import profile_parts


def main() -> None:
    parts, names, top_values = pickle.load(sys.stdin.buffer)
    try:
        reply: tuple[str, object] = ("ok", [p.to_dict() for p in profile_parts(parts, names, top_values)])
    except Exception as error:  # sent to the parent, which re-raises it
        reply = ("error", error)
    pickle.dump(reply, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
