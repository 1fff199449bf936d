"""`incubator gateway`: the server's one MQTT client.

It answers access requests from memory, ingests events (acked after the
database commit), tracks device presence, and publishes what `DeviceOutbox`
rows ask for (allow-lists, commands). Nothing imports this package but the CLI.

Threads: paho's network thread (routing, access answers), the ingest worker
(database batches, acks), the outbox worker (snapshot refresh, allow-lists,
commands) and the metrics server.
"""
