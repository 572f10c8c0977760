"""How the scale-out driver cuts a round into flow runs, and how it accounts for CPU: fast checks
beside the real run in test_scale_out.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ivc.ops import cpu
from ivc.ops.drive import MIN_CASES_PER_RUN, dispatch_order


def test_every_case_lands_in_exactly_one_run_of_near_equal_size() -> None:
    groups = {"access": list(range(1000, 1030)), "identification": list(range(305)), "certification": [7]}
    runs = dispatch_order(groups, batch=100)
    flat = sorted(i for _, ids in runs for i in ids)
    assert flat == sorted(i for ids in groups.values() for i in ids)
    sizes = [len(ids) for name, ids in runs if name == "identification"]
    assert sizes == [77, 76, 76, 76] and max(len(ids) for _, ids in runs) <= 100


def test_runs_come_heaviest_first_so_workers_finish_a_round_together() -> None:
    runs = dispatch_order({"access": list(range(90)), "identification": list(range(40))}, batch=100)
    assert [name for name, _ in runs] == ["identification", "access"]  # 40 suggestions outweigh 90 agreements


def test_batches_are_a_multiple_of_the_workers_unless_runs_would_get_too_small() -> None:
    two = dispatch_order({"identification": list(range(150))}, batch=100, workers=2)
    assert [len(ids) for _, ids in two] == [75, 75]
    small = dispatch_order({"access": list(range(MIN_CASES_PER_RUN + 5))}, batch=100, workers=2)
    assert len(small) == 1  # two runs of 7 cases would be mostly start-up


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cpu_of_a_process_tree_includes_children_that_have_ended() -> None:
    import os

    before = cpu.tree_seconds([os.getpid()])
    subprocess.run(
        [sys.executable, "-c", "import time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass"],
        check=True,
    )
    spent = cpu.tree_seconds([os.getpid()]) - before
    assert spent >= 0.25
    assert cpu.machine_busy_seconds() is not None
