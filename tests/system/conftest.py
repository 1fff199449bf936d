"""One running system (broker, gateway, web app) shared by the end-to-end tests.

Starting it costs seconds of CPU, so the tests share it; each test registers its
own devices, members and resources (the laser cutter's booking is made at the
start: see staging.py), and what a test stops (the gateway, the
broker) is brought back before the next one (`ensure_running`). When a test
fails, the end of every process's log is added to its report.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tests.support.system_rig import RigError, SystemRig
from tests.system.staging import LaserStage, stage_laser_cutter


@pytest.fixture(scope="session")
def system_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemRig]:
    rig = SystemRig(tmp_path_factory.mktemp("system"))
    try:
        try:
            rig.set_up().start()
        except Exception as exc:
            raise RigError(f"the system did not start: {exc}\n{rig.log_tails()}") from exc
        yield rig
    finally:
        rig.close()


@pytest.fixture(scope="session")
def laser_stage(system_rig: SystemRig) -> LaserStage:
    return stage_laser_cutter(system_rig)


@pytest.fixture
def system(system_rig: SystemRig, laser_stage: LaserStage) -> SystemRig:
    """The running system; its first use also stages the laser cutter's booking."""
    system_rig.ensure_running()
    return system_rig


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report ends with the tail of every process's log."""
    report: pytest.TestReport = yield
    rig = getattr(item, "funcargs", {}).get("system_rig")
    if report.failed and isinstance(rig, SystemRig):
        report.sections.append(("system logs", rig.log_tails()))
    return report
