#!/usr/bin/env bash
# The whole test suite (`npm test`): formatting, lint, types, TypeScript tests, py-sdk tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== deno fmt --check"
npx --no-install deno fmt --check
echo "== deno lint"
npx --no-install deno lint
echo "== ruff"
python3 -m ruff check py-sdk
python3 -m ruff format --check py-sdk
echo "== tsc"
npx --no-install tsc --noEmit -p .
echo "== TypeScript tests (node --test)"
mapfile -t files < <(find test -name '*.test.ts' | sort)
node --no-warnings --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
echo "== py-sdk tests (pytest)"
(cd py-sdk && python3 -m pytest -q)
