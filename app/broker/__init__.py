"""The server's side of the MQTT broker: its accounts and its files.

- `dynsec`: a synchronous client for Mosquitto's dynamic-security plugin (device
  accounts, one role each; `sync_accounts`; `clear_retained`), used by the gateway.
- `accounts`: applies an ``account`` outbox row with that client.
- `connection`: broker URLs and a plain paho connection.
- `mosquitto_config` and `cli`: ``incubator mqtt write-config``.
"""
