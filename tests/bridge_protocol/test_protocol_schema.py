import json
from pathlib import Path

from bridge_protocol import schema
from bridge_protocol.messages import MESSAGES

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "protocol.schema.json"


def refs_in(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def test_committed_schema_is_what_the_generator_makes_now():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema.render(), (
        "docs/protocol.schema.json is out of date: run python -m bridge_protocol.schema"
    )


def test_schema_lists_every_message_with_its_topic_and_limit():
    document = schema.build_schema()
    assert set(document["x-messages"]) == {spec.name for spec in MESSAGES}
    for spec in MESSAGES:
        entry = document["x-messages"][spec.name]
        assert entry["topic"] == spec.topic
        assert entry["max_bytes"] == spec.max_bytes
        assert ("body" in entry) is spec.signed


def test_every_reference_resolves():
    document = schema.build_schema()
    for ref in refs_in(document):
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in document["$defs"], ref


def test_models_forbid_unknown_fields_in_the_schema():
    document = schema.build_schema()
    for name in ("AccessRequest", "AllowEntry", "SignedEnvelope", "AccessDecisionEvent"):
        assert document["$defs"][name]["additionalProperties"] is False


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "schema.json"
    stale.write_text("{}\n")
    assert schema.main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert schema.main(["--output", str(stale)]) == 0
    assert schema.main(["--check", "--output", str(stale)]) == 0
    assert json.loads(stale.read_text())["x-protocol-version"] == 1
