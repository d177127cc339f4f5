#!/usr/bin/env bash
# The whole test suite (`npm test`): formatting, lint, types, the TypeScript tests on Node and
# on Deno, the py-sdk tests, then the e2e tests once more on PostgreSQL (Node only) when the
# test server answers. First makes ready what they need (scripts/provision.sh).
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
echo "== e2e tests on PostgreSQL (Node; every daemon on a fresh database: test/helpers/pg.ts)"
pg_server="${POUNCE_TEST_PG:-postgres://pounce_test:pounce_test@127.0.0.1:5432/postgres}"
if POUNCE_TEST_PG="$pg_server" node --no-warnings --import tsx --input-type=module -e \
  'const m = await import("./test/helpers/pg.ts"); process.exit(await m.reachable(m.PG_SERVER) ? 0 : 1)'; then
  started=$SECONDS
  # Not again here: the PostgreSQL-only files (they ran above, finding the server
  # themselves), and, for CI's time, files whose daemons use the database for nothing that
  # differs by backend (--help, Python environments, pip, runner processes, HTTP limits, the
  # binary). `npm run test:e2e:pg` runs them all on PostgreSQL.
  same_on_both=(postgres-nodes migrate cli-help batteries venv python-env fork-server
    runner-isolation hostile http-limits binary version)
  mapfile -t e2e < <(find test/e2e -name '*.test.ts' | sort |
    grep -Ev "/($(IFS='|'; echo "${same_on_both[*]}"))\.test\.ts$")
  POUNCE_TEST_DB="$pg_server" node --no-warnings --import tsx --test --test-concurrency=2 \
    --test-timeout=600000 "${e2e[@]}"
  echo "== e2e tests on PostgreSQL took $((SECONDS - started)) s"
else
  echo "== no PostgreSQL server answers ($pg_server): the e2e pass on PostgreSQL is skipped" >&2
fi
