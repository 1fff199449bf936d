"""gunicorn settings for the web process (see deploy/systemd/incubator-web.service)."""

import multiprocessing

from gunicorn.glogging import Logger

bind = "127.0.0.1:8000"
# Sync workers: pages and the API are short requests; live pages poll small
# JSON endpoints, so no long-lived connections tie a worker up.
workers = min(2 * multiprocessing.cpu_count() + 1, 9)
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
# nginx in front passes X-Forwarded-*; the app trusts INCUBATOR_PROXY_HOPS of them.
forwarded_allow_ips = "127.0.0.1"
# Each worker opens its own database connections after the fork: no preloading.
preload_app = False
proc_name = "incubator-web"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


class FeedSafeLogger(Logger):
    """Calendar feed URLs carry a secret token: /ical/ paths are logged without it."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if str(atoms.get("U") or "").startswith("/ical/"):
            atoms["U"] = "/ical/<token>.ics"
            atoms["r"] = f"{atoms['m']} /ical/<token>.ics {atoms['H']}"
        return atoms


logger_class = FeedSafeLogger
