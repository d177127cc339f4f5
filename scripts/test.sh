#!/usr/bin/env bash
# The whole test suite (`npm test`): formatting, lint, types, the TypeScript tests on Node and
# on Deno, the py-sdk tests. First makes ready what they need (scripts/provision.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== provision (.venv, Chromium, dist/pounce)"
bash scripts/provision.sh
echo "== deno fmt --check"
npx --no-install deno fmt --check
echo "== deno lint"
npx --no-install deno lint
echo "== ruff"
.venv/bin/python -m ruff check py-sdk
.venv/bin/python -m ruff format --check py-sdk
echo "== tsc"
npx --no-install tsc --noEmit -p .
echo "== TypeScript tests on Node (node --test)"
mapfile -t files < <(find test -name '*.test.ts' | sort)
node --no-warnings --import tsx --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
echo "== py-sdk tests (pytest)"
(cd py-sdk && ../.venv/bin/python -m pytest -q)
echo "== TypeScript tests on Deno (deno task test)"
# Bounded: `deno test` has no per-test timeout, and a hang must fail the run, not stall it.
timeout 1800 npx --no-install deno task test
