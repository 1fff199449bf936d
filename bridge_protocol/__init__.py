"""The MQTT contract between the server and the badge-reader bridges.

Import what you need from its modules; nothing is re-exported here, so a Pi
that only normalises badges does not load every model:

* `topics`: every topic string, subscription filters and the topic parser
* `badges`, `badge_keys`: badge normalisation and the badge HMAC
* `messages`: every message model (`events`, `access`, `acl`, `commands`, `status`),
  `parse` and `parse_event`
* `signing`, `keys`: signed envelopes and key files
* `config`: the bridge config model, `load_config` and `dump_toml`
* `reasons`, `version`, `wire`, `limits`, `errors`: the shared vocabulary

docs/protocol.md describes the contract for people.
"""
