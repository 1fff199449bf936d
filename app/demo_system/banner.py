"""What the demo prints once everything runs: where to go, who to be, what to scan."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from app.services.demo import DEMO_BADGES, DEMO_LOGINS, DEVICES

from .broker import BrokerPlan

RULE = "=" * 78


def banner(
    *,
    url: str,
    password: str,
    plan: BrokerPlan,
    log_dir: Path,
    metrics_port: int,
    offline: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> str:
    lines = [
        "",
        RULE,
        f"  Makers incubator demo: {url}",
        "",
        f"  Log in as (password for every account: {password}):",
    ]
    lines += [f"    {email:<36} {role}" for email, role in DEMO_LOGINS]
    lines += ["", "  Simulated Pis (scan at them on the simulator page, or from a terminal):"]
    lines += [f"    {device_id:<16} {label}" for device_id, _kind, _slug, label in DEVICES]
    lines += ["", "  Demo badges:"]
    for badge in DEMO_BADGES:
        lines.append(f"    {badge.uid}  {badge.holder}")
        lines += textwrap.wrap(
            badge.note, width=len(RULE), initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    lines += [
        "",
        "  What to try:",
        f"    1. Log in as the manager and open {url}/simulator",
        "    2. Scan Bram at main-entrance (granted), then 04DEADBEEF0001 (unknown badge)",
        "       and Dries's lost card 04A1B2C3D4E5F0 (badge revoked).",
        "    3. At laser-cutter: Farid (no training), Dries (no booking), then Bram:",
        "       granted, a session starts. Scan Bram again: the session ends (badge out).",
        f"    4. See it all on {url}/devices and in the API (/api/v1/usage-sessions).",
        "    From a terminal: incubator demo scan laser-cutter 04A1B2C3D4E502",
        "",
        f"  Broker: {plan.kind} on 127.0.0.1:{plan.port}"
        + (" (MQTT 3.1.1)" if plan.kind == "embedded" else ""),
    ]
    if plan.kind == "embedded":
        lines += [
            "    Without Mosquitto every device may read and write every topic: confining",
            "    each device to its own topics needs Mosquitto (apt-get install mosquitto).",
        ]
    lines += [
        f"  Gateway metrics: http://127.0.0.1:{metrics_port}/metrics",
        f"  Logs of every process: {log_dir}",
    ]
    if offline:
        lines += ["", f"  Not online yet: {', '.join(offline)} (see their logs)"]
    if problems:
        lines += ["", "  Demo bookings not made:"] + [f"    {p}" for p in problems]
    lines += ["", "  Stop with Ctrl-C.", RULE, ""]
    return "\n".join(lines)
