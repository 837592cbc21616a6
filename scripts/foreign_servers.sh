#!/usr/bin/env bash
# Other people's PostgreSQL servers on 127.0.0.1:5432, 5433 and 5434 (a laptop's native server,
# another project's database), each with a login of its own, to prove that envsync and its tests
# touch only their own project's server:
#   scripts/foreign_servers.sh start | stop | status
#   scripts/foreign_servers.sh run COMMAND...    start, run COMMAND, stop; exits with its status
#     e.g. scripts/foreign_servers.sh run .venv/bin/pytest -q
# PORTS (default "5432 5433 5434"), DIR (default /tmp/envsync-foreign-servers) and VENV (default
# .venv, with envsync[embedded] installed) may be set. As root the servers run as the
# unprivileged user envsync-pg, like `envsync db up`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
ports="${PORTS:-5432 5433 5434}"
dir="${DIR:-/tmp/envsync-foreign-servers}"

servers() {
    "$venv/bin/python" - "$1" "$dir" $ports <<'PY'
import sys
from pathlib import Path

from envsync.live import server

action, root, ports = sys.argv[1], Path(sys.argv[2]), [int(p) for p in sys.argv[3:]]
for port in ports:
    data_dir = root / f"foreign-{port}"
    if action == "start":
        spec = server.ServerSpec(f"stranger{port}", f"not-yours-{port}", "elsewhere", port, data_dir)
        running = server.start(spec)
        print(f"foreign server on 127.0.0.1:{running.port} (user stranger{port}), data {data_dir}")
    elif action == "stop":
        print(f"127.0.0.1:{port}: {'stopped' if server.stop(data_dir) else 'not running'}")
    else:
        running = server.status(data_dir)
        print(f"127.0.0.1:{port}: {'running' if running else 'not running'}")
PY
}

case "${1:-}" in
    start | status) servers "$1" ;;
    stop)
        servers stop
        rm -rf "$dir"
        ;;
    run)
        shift
        [ "$#" -gt 0 ] || { echo "usage: $0 run COMMAND..." >&2; exit 2; }
        servers start
        trap 'servers stop; rm -rf "$dir"' EXIT
        status=0
        "$@" || status=$?
        exit "$status"
        ;;
    *)
        echo "usage: $0 start | stop | status | run COMMAND..." >&2
        exit 2
        ;;
esac
