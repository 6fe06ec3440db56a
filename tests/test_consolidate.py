"""Curated partitions: the contract's columns, atomic replacement, identical rewrites."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import pandas as pd

from zhuanbao.tasks.curated.consolidate import partition_path, read_partition, write_partition


def frame(values) -> pd.DataFrame:
    return pd.DataFrame({"period": "2020-04", "unit_code": ["T01"] * len(values), "indicator_code": "I13",
                         "cumulative": values})


def test_partition_round_trips_with_its_period(tmp_path):
    write_partition(tmp_path, "indicators", "2020-04", frame([1.0, 2.0]))
    back = read_partition(tmp_path, "indicators", "2020-04")
    assert back.cumulative.tolist() == [1.0, 2.0] and set(back.period) == {"2020-04"}


def test_same_rows_give_identical_bytes(tmp_path):
    path = write_partition(tmp_path, "indicators", "2020-04", frame([1.0, 2.0]))
    first = hashlib.sha256(path.read_bytes()).hexdigest()
    write_partition(tmp_path, "indicators", "2020-04", frame([1.0, 2.0]))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == first


def test_a_process_killed_mid_write_leaves_the_earlier_partition_whole(tmp_path):
    write_partition(tmp_path, "indicators", "2020-04", frame([1.0, 2.0]))
    before = partition_path(tmp_path, "indicators", "2020-04").read_bytes()
    crash = textwrap.dedent(f"""
        import os, signal
        import pandas as pd
        import pyarrow.parquet as pq
        from zhuanbao.tasks.curated import consolidate

        def dying_write(table, where, **kw):
            with open(where, "wb") as handle:      # half a file on disk, then the process is killed
                handle.write(b"PAR1" + b"x" * 4096)
                handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        consolidate.pq.write_table = dying_write
        big = pd.DataFrame({{"period": "2020-04", "unit_code": ["T01"] * 1000, "indicator_code": "I13",
                            "cumulative": range(1000)}})
        consolidate.write_partition({str(tmp_path)!r}, "indicators", "2020-04", big)
    """)
    result = subprocess.run([sys.executable, "-c", crash], capture_output=True, check=False)
    assert result.returncode == -9  # it really died mid-write
    assert partition_path(tmp_path, "indicators", "2020-04").read_bytes() == before
    assert read_partition(tmp_path, "indicators", "2020-04").cumulative.tolist() == [1.0, 2.0]
