"""``incubator-bridge --config FILE [--check] [--simulate] [--clock auto|sync|unsync]``.

Exit codes: 0 after a clean shutdown (SIGTERM, SIGINT), 1 when the config is
invalid (every problem is printed) or the bridge cannot start (pins, store).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from types import FrameType

from bridge_protocol.config import (
    BridgeConfig,
    ConfigError,
    config_to_dict,
    dump_toml,
    load_config,
)
from firmware_bridge.daemon import Bridge, BridgeOptions
from firmware_bridge.logs import configure_logging

logger = logging.getLogger("firmware_bridge")

#: the key id of the signing test vector in docs/protocol.md (its private key is public)
TEST_KID = "56475aa75463474c"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="incubator-bridge",
        description="Badge reader, door lock and machine interlock bridge for a Raspberry Pi.",
    )
    parser.add_argument("--config", required=True, help="the bridge's TOML config file")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="mock GPIO pins (relay changes go to the log); badges from standard input, "
        "one per line, and from the demo's sim/{dev}/scan topic",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="validate the config (and its environment variables), print it masked, and exit",
    )
    parser.add_argument(
        "--clock",
        choices=("auto", "sync", "unsync"),
        default=None,
        help="whether the wall clock is synchronised: ask the kernel (auto, the default) "
        "or take it as given (the default with --simulate is sync)",
    )
    return parser.parse_args(argv)


def secrets_of(config: BridgeConfig, environ: Mapping[str, str]) -> list[str]:
    found = []
    if config.mqtt.password is not None:
        found.append(config.mqtt.password.get_secret_value())
    if config.mqtt.password_env:
        found.append(environ.get(config.mqtt.password_env, ""))
    if config.keys.badge_key is not None:
        found.append(config.keys.badge_key.get_secret_value())
    if config.keys.badge_key_env:
        found.append(environ.get(config.keys.badge_key_env, ""))
    return [secret for secret in found if secret]


def uses_test_key(config: BridgeConfig) -> bool:
    return any(entry.kid == TEST_KID for entry in config.keys.server_public_keys)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"incubator-bridge: invalid configuration\n{exc}", file=sys.stderr)
        return 1
    if args.check:
        print(f"{args.config}: configuration OK")
        print(dump_toml(config_to_dict(config)), end="")
        return 0
    configure_logging(config.log.level, secrets_of(config, os.environ))
    if not args.simulate and uses_test_key(config):
        logger.critical(
            "keys.server_public_keys holds the public TEST key of docs/protocol.md, whose "
            "private half is published: put the server's key in the config"
        )
        return 1
    logger.info("configuration: %s", config_to_dict(config))
    options = BridgeOptions(
        simulate=args.simulate,
        clock=args.clock or ("sync" if args.simulate else "auto"),
        stdin=sys.stdin if args.simulate else None,
    )
    try:
        bridge = Bridge(config, options=options)
    except Exception as exc:  # pins taken, store unwritable, no lgpio: all fatal at start
        logger.critical("the bridge cannot start: %s", exc, exc_info=True)
        return 1
    return run(bridge)


def run(bridge: Bridge) -> int:
    """Start `bridge` and run until SIGTERM or SIGINT, then stop it cleanly."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        bridge.start()
        while not stop.wait(1.0):
            pass
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
