"""`incubator demo`'s machinery: the broker, the gateway, simulated Pis, the jobs runner.

`system.run_demo` is the composition root: it prepares the broker
(`broker`), writes the simulated Pis' bridge configs (`bridges`), starts every
process under one `supervisor.Supervisor` and serves the web app until Ctrl-C
or SIGTERM, then stops every child. `scans.publish_scan` is how the simulator
page and `incubator demo scan` present a badge to a simulated reader. Nothing
here runs in production.
"""
