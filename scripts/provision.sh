#!/usr/bin/env bash
# What the test suite needs beyond node_modules, made ready before any test runs (`npm test`,
# `deno task test` and .ci/run call it first): each part is a quick no-op once done.
#   python    .venv/ with requirements-dev.txt (ruff, pytest, the py-sdk tests' client libraries)
#   chromium  headless Chromium for test/e2e/ui.test.ts ($POUNCE_CHROMIUM, else /usr/bin/chromium)
#   binary    dist/pounce for test/e2e/binary.test.ts, built when missing or older than its sources
#   postgres  a PostgreSQL server with the role pounce_test (test/helpers/pg.ts), from apt's
#             postgresql package when run as root; optional: without it those tests skip
# Usage: scripts/provision.sh [python] [chromium] [binary] [postgres]   (no argument: all four)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
REQUIREMENTS=requirements-dev.txt
STAMP="$VENV/.requirements-dev.sha256"

fail() {
  echo "provision: $*" >&2
  exit 1
}

# The interpreter the venv is made from: `python3` on PATH resolved once to the real file (a
# pyenv shim costs a start per call), 3.11 or newer.
base_python() {
  local found
  command -v python3 >/dev/null || fail "no python3 on PATH: install Python 3.11 or newer"
  found="$(python3 -c 'import sys; print(sys.executable); print(sys.version_info >= (3, 11))')" ||
    fail "python3 on PATH does not start"
  [ "$(sed -n 2p <<<"$found")" = True ] ||
    fail "python3 on PATH is older than 3.11 ($(sed -n 1p <<<"$found")): install Python 3.11 or newer"
  sed -n 1p <<<"$found"
}

python_tools() {
  local want
  want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  # Done when the venv's interpreter still runs (-x follows its symlink) and holds this very
  # requirements file's set.
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    return
  fi
  # Two suites starting at once must not install into the same venv together.
  exec 9<"$REQUIREMENTS"
  if command -v flock >/dev/null; then flock 9; fi
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    return
  fi
  if ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    local python
    python="$(base_python)"
    echo "provision: creating $VENV from $python" >&2
    "$python" -m venv --clear "$VENV" ||
      fail "'$python -m venv' failed: install Python's venv module and pip (Debian/Ubuntu: apt-get install python3-venv python3-pip)"
  fi
  echo "provision: installing $REQUIREMENTS into $VENV (pip; once)" >&2
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --retries 1 --timeout 10 -r "$REQUIREMENTS" ||
    fail "pip could not install $REQUIREMENTS into $VENV (see pip's message above)"
  echo "$want" >"$STAMP"
}

chromium() {
  local path="${POUNCE_CHROMIUM:-/usr/bin/chromium}"
  [ -x "$path" ] && return
  if [ -z "${POUNCE_CHROMIUM:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "provision: installing Chromium (apt-get install chromium)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
      fail "apt-get install chromium failed (see apt's message above)"
    [ -x "$path" ] && return
  fi
  fail "no Chromium at $path (the web UI tests need it): run 'sudo apt-get install chromium', or set POUNCE_CHROMIUM to a Chromium executable"
}

binary() {
  # dist/pounce is built for linux-x64 only (scripts/build.ts); elsewhere the binary test skips.
  [ "$(uname -sm)" = "Linux x86_64" ] || return 0
  if [ -x dist/pounce ] && [ -z "$(find src py-sdk/pounce py-sdk/autokitteh scripts/build.ts \
    scripts/build package.json package-lock.json \( -name __pycache__ -o -name '.*' \) -prune \
    -o -newer dist/pounce -print -quit)" ]; then
    return
  fi
  echo "provision: building dist/pounce (npm run build)" >&2
  npm run --silent build >&2 || fail "npm run build failed (see its message above)"
}

# The server PostgreSQL tests use unless POUNCE_TEST_PG names one: a local cluster with the
# role pounce_test (password pounce_test, may create databases). Never fails the suite.
postgres() {
  [ -z "${POUNCE_TEST_PG:-}" ] || return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "provision: no PostgreSQL set up (needs root and apt-get); its tests skip unless POUNCE_TEST_PG is set" >&2
    return 0
  fi
  if ! command -v pg_lsclusters >/dev/null; then
    echo "provision: installing PostgreSQL (apt-get install postgresql)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } ||
      { echo "provision: apt-get install postgresql failed; PostgreSQL tests skip" >&2; return 0; }
  fi
  local version
  version="$(pg_lsclusters -h | awk '$2 == "main" { print $1; exit }')"
  [ -n "$version" ] || { echo "provision: no PostgreSQL cluster 'main'; PostgreSQL tests skip" >&2; return 0; }
  pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'pounce_test'\"" 2>/dev/null | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE pounce_test LOGIN CREATEDB PASSWORD 'pounce_test'\"" >/dev/null ||
    echo "provision: could not create the PostgreSQL role pounce_test; PostgreSQL tests skip" >&2
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(python chromium binary postgres)
for part in "${parts[@]}"; do
  case "$part" in
    python) python_tools ;;
    chromium) chromium ;;
    binary) binary ;;
    postgres) postgres ;;
    *) fail "unknown part '$part' (python, chromium, binary, postgres)" ;;
  esac
done
