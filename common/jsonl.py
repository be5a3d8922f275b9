"""Read JSONL files (benchmarks, traces, corpora, exemplar pools, training records): the one reader."""

import gzip
import json
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


Rows = list[tuple[int, dict[str, Any]]]


def read_jsonl(path: str | os.PathLike[str], *, skip_broken: bool = False) -> Rows:
    """Return each JSON object of a JSONL file (``.gz`` too) with its line number; blank lines are skipped.

    A line that is not a JSON object raises ValueError naming the file and line, or, with
    ``skip_broken`` (a trace whose last line a killed run cut short), is logged and skipped.
    """
    path = Path(path).expanduser()
    data = path.read_bytes()
    text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")
    rows = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("expected a JSON object")
        except ValueError as err:  # JSONDecodeError is one
            reason = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
            if skip_broken:
                logger.warning(
                    "%s:%d is not a complete JSON object (%s); it is ignored", path, line_no, reason
                )
                continue
            raise ValueError(f"{path}:{line_no}: not JSON ({reason})") from err
        rows.append((line_no, row))
    return rows
