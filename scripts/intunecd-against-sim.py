#!/usr/bin/env python3
"""Runs IntuneCD's backup against a hangar simulator instead of Microsoft Graph.

usage: intunecd-against-sim.py SIM_URL TENANT_ID -- INTUNECD_BACKUP_ARGUMENTS...

IntuneCD sends every Graph request with `requests` to https://graph.microsoft.com and signs in
with MSAL at login.microsoftonline.com; neither host can be configured. This wrapper changes
nothing in IntuneCD (which is installed from PyPI into a virtual environment by
scripts/compare-intunecd.sh and never copied into this repository). Before IntuneCD starts it:

- signs in itself with the client-credentials grant at the simulator's token endpoint, and hands
  the token to IntuneCD's own `--token` option (so MSAL is never used);
- rewrites the scheme and host of every request to https://graph.microsoft.com to the
  simulator's URL, in `requests.Session.request`, which `requests.request` goes through. Paths
  and queries are untouched; the simulator's next links already point at itself. Any other URL
  is refused, so nothing leaves this machine.

Everything else (threads, paging, batching, files written) is IntuneCD's own.
"""

import sys

import requests

GRAPH = "https://graph.microsoft.com"


def main() -> int:
    if len(sys.argv) < 4 or "--" not in sys.argv:
        print(__doc__, file=sys.stderr)
        return 1
    sim = sys.argv[1].rstrip("/")
    tenant = sys.argv[2]
    backup_args = sys.argv[sys.argv.index("--") + 1 :]

    answer = requests.post(
        f"{sim}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "intunecd",
            "client_secret": "intunecd",
            "scope": f"{GRAPH}/.default",
        },
        timeout=30,
    )
    answer.raise_for_status()
    token = answer.json()["access_token"]

    original = requests.Session.request

    def to_simulator(self, method, url, *args, **kwargs):
        if isinstance(url, str) and url.startswith(GRAPH):
            url = sim + url[len(GRAPH) :]
        elif not (isinstance(url, str) and url.startswith(sim)):
            raise RuntimeError(f"IntuneCD asked for {url!r}, which is not the simulator")
        return original(self, method, url, *args, **kwargs)

    requests.Session.request = to_simulator

    from IntuneCD.run_backup import get_parser, start

    start(get_parser().parse_args(backup_args + ["--token", token]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
