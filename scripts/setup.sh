#!/usr/bin/env bash
# Idempotent set-up: system packages, a Python 3.10 virtual environment in
# .venv/ with the pinned dependencies, and the project itself (editable).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

# --- system packages -------------------------------------------------------
# Voikko for Finnish base forms; Chromium for the widget's browser tests; PostgreSQL and
# Redis for `make run-scaled` and the tests that start their own (shared database, lock store).
APT_PACKAGES=(libvoikko1 voikko-fi chromium postgresql redis-server)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; then
    $SUDO apt-get update -q >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
fi

# --- Python 3.10 -----------------------------------------------------------
find_python() {
  local candidate
  for candidate in "${FRONTDOOR_PYTHON:-}" python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local root version
    root=$(pyenv root)
    for version in $(ls "$root/versions" 2>/dev/null | grep -E '^3\.10\.' | sort -V -r); do
      if [ -x "$root/versions/$version/bin/python3.10" ]; then
        echo "$root/versions/$version/bin/python3.10"; return 0
      fi
    done
  fi
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! PYTHON=$(find_python); then
    echo "setup: Rasa 3.6 needs Python 3.10 and none was found." >&2
    echo "       Install one (e.g. 'pyenv install 3.10.13' or Debian/Ubuntu 'apt-get install python3.10 python3.10-venv')," >&2
    echo "       or point FRONTDOOR_PYTHON at a python3.10 executable." >&2
    exit 1
  fi
  say "creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi

say "installing pinned Python packages (requirements.lock)"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock 2>&1 | grep -v "is ignored: it is neither" || true
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | grep -v "is ignored: it is neither" || true
.venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check; exit 1; }
say "python environment ready"

# --- the widget's socket.io client -------------------------------------------
# From the npm registry at the version widget/package-lock.json pins, copied
# into the static files: nothing is loaded from a CDN at run time.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is needed for the widget's socket.io client: install Node.js (Debian: apt-get install npm)" >&2
  exit 1
fi
npm ci --prefix widget --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
mkdir -p web/vendor
cp widget/node_modules/socket.io-client/dist/socket.io.min.js web/vendor/socket.io.min.js
say "widget client ready (socket.io-client $(node -p "require('./widget/node_modules/socket.io-client/package.json').version"))"
