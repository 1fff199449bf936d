"""The Raspberry Pi bridge: badge readers, door locks and machine interlocks over MQTT.

Run as ``incubator-bridge --config FILE [--check] [--simulate]`` (`__main__.main`),
or in-process::

    from firmware_bridge.daemon import Bridge, BridgeOptions
    bridge = Bridge(config, options=BridgeOptions(simulate=True))
    bridge.start(); bridge.scan("04A22B1C"); bridge.stop()

Parts (docs/bridge.md explains the behaviour, docs/pi-install.md the install):

* `daemon`: `Bridge` (composition root; `.door` / `.machine`, `.store`,
  `.router`, `.deliver(topic, payload, retained)`, `.link_up()`), `BridgeOptions`
* `hardware`: `build_hardware`, `Hardware`, `simulated_pin_factory`, `LightFeedback`
* `store` (+ `db`, `outbox_table`): `Store` with `.outbox`, `.allow_list`,
  `.nonces`, `.session`, `.meta`; `outbox_table.Retention`
* `events`: `EventRecorder.record(data)`; `outbox`: `OutboxSender` (pump, acks, resends)
* `acl_cache`: `AllowListCache`; `resource`: `ResourceState` (lockout)
* `authority`: `Authority.decide(uid) -> Decision`, `OnlineAsker`, `UnknownBadgeLimiter`
* `door`: `DoorController`; `machine` (+ `session`): `MachineController`
* `commands`: `CommandHandler`, `CommandTarget`
* `mqtt`: `MqttLink` (paho 2.x); `inbound`: `Router`; `status`: `StatusReporter`
* `ports`: `Link`, `Presence`, `Feedback`, `NoFeedback` (what tests fake)
* `clock`: `Clock`, `SystemClock`, `ManualClock`; `timers`: `LoopScheduler`, `Timers`
* `scans`: `BadgeQueue`, `canonical_or_report`
* `logs`: `configure_logging`, `RedactingFilter`
"""
