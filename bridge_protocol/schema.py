"""Generate docs/protocol.schema.json, the JSON Schema of every message, from the models.

    python -m bridge_protocol.schema            # write the file
    python -m bridge_protocol.schema --check    # exit 1 if the file is out of date

``x-messages`` maps each message to its topic, QoS, retain flag, size limit and
schema; a signed message has the envelope as its wire schema and the model of
its body under ``body``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from bridge_protocol.messages import MESSAGES, SignedEnvelope
from bridge_protocol.topics import QOS
from bridge_protocol.version import PROTOCOL_VERSION

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "protocol.schema.json"
_REF = "#/$defs/{model}"


def build_schema() -> dict[str, Any]:
    adapters: list[tuple[str, Any, TypeAdapter[Any]]] = [
        (spec.name, "validation", _adapter(spec.schema)) for spec in MESSAGES
    ]
    adapters.append(("SignedEnvelope", "validation", TypeAdapter(SignedEnvelope)))
    top_level, defs = TypeAdapter.json_schemas(adapters, ref_template=_REF)
    all_defs = dict(defs.get("$defs", {}))
    for (name, _mode), schema in top_level.items():
        if "$ref" not in schema:
            all_defs[name] = schema
    messages = {}
    for spec in MESSAGES:
        entry: dict[str, Any] = {
            "topic": spec.topic,
            "qos": QOS,
            "retained": spec.retained,
            "max_bytes": spec.max_bytes,
        }
        if spec.signed:
            entry["schema"] = {"$ref": _REF.format(model="SignedEnvelope")}
            entry["body"] = {"$ref": _REF.format(model=spec.name)}
        else:
            entry["schema"] = {"$ref": _REF.format(model=spec.name)}
        messages[spec.name] = entry
    wire_refs = {json.dumps(entry["schema"]) for entry in messages.values()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Makers incubator MQTT protocol, version {PROTOCOL_VERSION}",
        "description": (
            "Generated from bridge_protocol by `python -m bridge_protocol.schema`; do not edit. "
            "See docs/protocol.md."
        ),
        "x-protocol-version": PROTOCOL_VERSION,
        "x-messages": messages,
        "anyOf": [json.loads(ref) for ref in sorted(wire_refs)],
        "$defs": dict(sorted(all_defs.items())),
    }


def render() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def _adapter(schema: Any) -> TypeAdapter[Any]:
    if isinstance(schema, TypeAdapter):
        return schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return TypeAdapter(schema)
    raise TypeError(f"no schema for {schema!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m bridge_protocol.schema")
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
