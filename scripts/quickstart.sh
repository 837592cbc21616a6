#!/usr/bin/env bash
# The whole flow for a newcomer, without Docker: install envsync, generate a project with Copier,
# start its database from the compose file (envsync db up), migrate it, and check it.
#   bash scripts/quickstart.sh [project-dir]      (default: ../envsync-demo)
# VENV (default .venv) and PORT (default 5432, or a free one) may be set.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$repo/../envsync-demo}"
venv="${VENV:-$repo/.venv}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -e "$repo[embedded]"
export PATH="$venv/bin:$PATH"

# 5432 when it is free; another free port when a local PostgreSQL already has it.
port="${PORT:-$(python - <<'PY'
import socket
with socket.socket() as s:
    try:
        s.bind(("127.0.0.1", 5432))
    except OSError:
        s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
)}"

copier copy --trust --defaults --quiet --data db_port="$port" "$repo" "$target"
cd "$target"
pip install -q -r backend/requirements.txt
envsync db up
(cd backend && alembic upgrade head)
envsync check
envsync doctor
echo
echo "Project ready in $target. Try: cd $target && sed -i 's/127.0.0.1/localhost/' backend/.env && envsync check; envsync render"
echo "Stop the database with: cd $target && envsync db down"
