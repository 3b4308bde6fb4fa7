"""JupyterHub's configuration for a class, read by the jupyterhub_config.py that `coursekit hub` writes.

Ports (from Settings.port = P): the proxy serves the class on P, the hub's API listens on P+1,
the proxy's API on P+2, the grading service (`coursekit serve`, hub-managed) on P+3.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .setup import Settings, proxy_command

SERVICE = "grader"
ADMIN_SERVICE = "course-admin"


def configure(c, settings_path) -> None:
    """Fill JupyterHub's config object `c` from hub.json."""
    s = Settings.load(settings_path)
    bindir = str(Path(sys.executable).parent)
    c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{s.port + 1}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.port + 2}"
    c.ConfigurableHTTPProxy.command = [proxy_command()]
    c.ConfigurableHTTPProxy.pid_file = str(s.root / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{s.root / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(s.root / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(s.root / "jupyterhub.pid")
    ids = [u.id for u in s.users]
    c.Authenticator.allowed_users = set(ids)
    if s.auth == "dev":
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = (s.root / "dev-password").read_text().strip()
    else:
        c.JupyterHub.authenticator_class = "pam"
    c.JupyterHub.spawner_class = "coursekit.hub.spawner.CourseSpawner"
    c.CourseSpawner.settings_path = str(settings_path)
    c.Spawner.cmd = [f"{bindir}/jupyterhub-singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = {"PATH": f"{bindir}:/usr/bin:/bin", "JUPYTER_PLATFORM_DIRS": "1"}
    c.Spawner.start_timeout = 120  # a 2-core machine spawning many servers at once
    c.Spawner.http_timeout = 120
    c.JupyterHub.services = [{
        "name": SERVICE, "url": s.service_url(), "display": True, "oauth_no_confirm": True,
        "command": [s.python, "-m", "coursekit.cli", "--course", str(s.course), "serve", "--hub-root",
                    str(s.root), *s.serve_args],
        "environment": {"PATH": f"{bindir}:/usr/bin:/bin"},
    }, {
        # the instructors' scripts (and the tests) drive the hub's REST API with this token
        "name": ADMIN_SERVICE, "api_token": (s.root / "admin-token").read_text().strip(),
    }]
    c.JupyterHub.load_roles = [
        # every member of the class may open the grading service's pages (each sees only their own)
        {"name": "class-member", "scopes": [f"access:services!service={SERVICE}"], "users": ids},
        {"name": "course-admin", "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users",
                                           "access:servers"], "services": [ADMIN_SERVICE]},
    ]
