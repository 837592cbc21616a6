#!/usr/bin/env bash
# The whole flow for a newcomer, without Docker: install envsync, generate a project with Copier,
# start its database from the compose file (envsync db up), migrate it, and check it.
#   bash scripts/quickstart.sh [project-dir]      (default: ../envsync-demo)
# VENV (default .venv) and PORT (default 5432, or a free one) may be set.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$repo/../envsync-demo}"
venv="${VENV:-$repo/.venv}"

step() { printf '\n==> %s\n' "$*"; }

step "1/6 Install envsync into $venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
venv="$(cd "$venv" && pwd)"
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

step "2/6 Generate $target with copier copy, as a git repository"
# The absolute path of this git clone: Copier records it with the commit, so `copier update`
# can find the template again from inside the project.
copier copy --trust --defaults --quiet --vcs-ref=HEAD --data db_port="$port" "$repo" "$target"
cd "$target"
target="$(pwd)"
git init -q
git add -A
# The user's own git identity when there is one; the demo's otherwise, so the commit never fails.
if git config user.email >/dev/null; then
    git commit -q -m "Generate the envsync demo with copier copy"
else
    git -c user.name="envsync quickstart" -c user.email="quickstart@envsync.invalid" \
        commit -q -m "Generate the envsync demo with copier copy"
fi

step "3/6 Start the database (envsync db up)"
envsync db up

step "4/6 Migrate (the backend's requirements, then alembic upgrade head)"
pip install -q -r backend/requirements.txt
(cd backend && alembic upgrade head)

step "5/6 Check that every file agrees (envsync check)"
envsync check

step "6/6 Ask the running database (envsync doctor)"
envsync doctor

# Absolute paths, quoted for the shell: these lines work when pasted into a new terminal.
step "Done: $target is a git repository made from $repo"
echo "The demo database is still running on 127.0.0.1:$port (its data: $target/.envsync/volumes/db)."
echo "In a new shell, try drift and repair:"
printf '  cd %q && . %q\n' "$target" "$venv/bin/activate"
printf '  %s\n' "sed -i 's/127.0.0.1/localhost/' backend/.env; envsync check; envsync render"
echo "Stop the demo database when you are done (it holds port $port):"
printf '  cd %q && %q db down\n' "$target" "$venv/bin/envsync"
