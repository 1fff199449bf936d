"""What the benchmark scripts share: percentiles, the machine they ran on, scratch
PostgreSQL databases, a process's CPU and memory, helper child processes, and the
replacement of one section of docs/performance.md.

The scripts run as ``.venv/bin/python bench/<script>.py`` (or ``-m bench.<script>``);
each puts the project root on ``sys.path`` first and imports this as ``bench.common``.
Each script keeps its own wording and table layout: what is shared here are the parts
that compute or read something, so every script's output stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


# -- percentiles --------------------------------------------------------------------------


def pct(samples: list[float], q: float) -> float:
    """The q-th percentile by nearest rank (nan without samples)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def pct_rounded(samples: list[float], q: float) -> float:
    """The sample at the rounded position q% of the way from the lowest to the highest."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# -- the machine ---------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what `platform` knows."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return cpu


def system_text() -> str:
    """``Linux 6.1.0, Python 3.11.2``."""
    return f"{platform.system()} {platform.release()}, Python {platform.python_version()}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: ``1.2, 0.9, 0.7``."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def mosquitto_version() -> str | None:
    """The installed Mosquitto's version (None when there is none or it does not say)."""
    from tests.support.mosquitto import find_mosquitto

    binary = find_mosquitto()
    if binary is None:
        return None
    with contextlib.suppress(OSError, subprocess.SubprocessError, IndexError):
        out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=5, check=False)
        return (out.stdout or out.stderr).splitlines()[0].replace("mosquitto version ", "")
    return None


def read_proc(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) and resident memory of a process, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu_s = (int(stat[11]) + int(stat[12])) / ticks  # utime, stime (fields 14, 15)
    memory: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0]) / 1024  # kB -> MiB
    return {
        "cpu_s": cpu_s,
        "rss_mib": memory.get("VmRSS", 0.0),
        "hwm_mib": memory.get("VmHWM", 0.0),
    }


# -- databases ------------------------------------------------------------------------------


def postgres_answers(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3).close()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def scratch_postgres(base_url: str, prefix: str = "incubator_bench_") -> Iterator[str]:
    """A new, empty PostgreSQL database next to `base_url`'s, dropped afterwards: its URL."""
    import sqlalchemy as sa

    url = sa.make_url(base_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


# -- processes -------------------------------------------------------------------------------


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C: whatever the run started goes too."""

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, stop)


@contextlib.contextmanager
def ready_child(
    command: list[str], *, env: dict[str, str], what: str, wait_s: float
) -> Iterator[subprocess.Popen[str]]:
    """Run a helper child that prints ``ready`` when it serves and stops when its stdin closes."""
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    ) as child:
        assert child.stdout is not None
        assert child.stdin is not None
        try:
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{what} did not start")
            yield child
        finally:
            with contextlib.suppress(OSError):
                child.stdin.close()
            try:
                child.wait(wait_s)
            except subprocess.TimeoutExpired:
                child.kill()


def wait_for(
    condition: Callable[[], bool], timeout: float, failure: str, interval: float = 0.05
) -> None:
    """Poll `condition` until it holds; RuntimeError(`failure`) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(interval)


# -- docs/performance.md ----------------------------------------------------------------------


def update_doc(path: Path, title: str, section: str, new_file: str = "# Performance\n") -> None:
    """Replace the section headed `title` (up to the next ``## ``) or append it.

    `new_file` starts the document when there is none yet.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text:
        text = new_file
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == title), None)
    body = section.rstrip("\n")
    if start is None:
        new = text.rstrip("\n") + "\n\n" + body
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        tail = lines[end:]
        new = "\n".join([*lines[:start], *body.splitlines(), *(["", *tail] if tail else [])])
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
