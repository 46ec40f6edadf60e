#!/usr/bin/env bash
# The whole test run behind `make test`. Under CI=true, PostgreSQL, Redis and Chromium are required; elsewhere a
# missing one is reported loudly and its part skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=xiaoneng.settings.test
export PYTHONPATH=src
PG_URL="${XIAONENG_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${XIAONENG_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
CI="${CI:-}"
failed=()
skipped=()

loud() { printf '\n\033[1;33m!!! %s\033[0m\n\n' "$*"; }
step() { printf '\n\033[1;34m=== %s\033[0m\n' "$*"; }
required_missing() {
  if [ "$CI" = "true" ]; then
    echo "CI=true: $1 is required but not available." >&2
    failed+=("$1 (unavailable)")
  else
    loud "$1 NOT AVAILABLE — its tests are SKIPPED. (Under CI=true this fails the run.)"
    skipped+=("$1")
  fi
}

# Browser for the e2e tests: Debian's chromium (never a downloaded build).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    step "installing Debian chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/tmp/xiaoneng-apt.log 2>&1 \
      || echo "chromium install failed; see /tmp/xiaoneng-apt.log"
  fi
fi
# LibreOffice (writer only) and CJK fonts, to convert official documents to PDF in the document tests.
if ! command -v soffice >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    step "installing Debian libreoffice-writer and CJK fonts for the document tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libreoffice-writer-nogui fonts-noto-cjk fonts-arphic-uming) >/tmp/xiaoneng-apt-lo.log 2>&1 \
      || echo "libreoffice install failed; see /tmp/xiaoneng-apt-lo.log"
  fi
fi

step "ruff"
$BIN/ruff check src tests bench scripts || failed+=("ruff")

step "mypy (clock)"
$BIN/mypy --no-error-summary src/xiaoneng/clock || failed+=("mypy")

step "django checks and migrations"
$BIN/python manage.py check || failed+=("check")
$BIN/python manage.py makemigrations --check --dry-run >/dev/null || failed+=("makemigrations --check")

pg_ok=0
if $BIN/python - "$PG_URL" <<'PY' >/dev/null 2>&1
import sys, psycopg, dj_database_url
c = dj_database_url.parse(sys.argv[1])
psycopg.connect(host=c["HOST"], port=c["PORT"] or 5432, user=c["USER"], password=c["PASSWORD"], dbname=c["NAME"], connect_timeout=3).close()
PY
then pg_ok=1; fi
redis_ok=0
if $BIN/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" "$REDIS_URL" >/dev/null 2>&1; then redis_ok=1; fi
markers="not e2e"
if [ $redis_ok = 1 ]; then export XIAONENG_TEST_REDIS_URL="$REDIS_URL"; else required_missing "Redis at $REDIS_URL"; markers="not e2e and not redis"; fi

step "pytest on SQLite"
XIAONENG_TEST_DATABASE_URL= $BIN/python -m pytest -q -p no:cacheprovider -m "$markers" || failed+=("pytest sqlite")

if [ $pg_ok = 1 ]; then
  step "pytest on PostgreSQL ($PG_URL)"
  XIAONENG_TEST_DATABASE_URL="$PG_URL" $BIN/python -m pytest -q -p no:cacheprovider -m "$markers" --ignore=tests/clock \
    || failed+=("pytest postgresql")
else
  required_missing "PostgreSQL at $PG_URL"
fi

if command -v chromium >/dev/null 2>&1; then
  step "browser tests (Playwright + Debian chromium)"
  XIAONENG_TEST_DATABASE_URL= DJANGO_ALLOW_ASYNC_UNSAFE=true $BIN/python -m pytest -q -p no:cacheprovider -m e2e tests/e2e \
    || failed+=("browser tests")
else
  required_missing "chromium (browser tests)"
fi

step "production settings: check --deploy"
tmpkeys=$(mktemp -d)
$BIN/python - "$tmpkeys/keys.json" <<'PY'
import json, os, secrets, sys
p = sys.argv[1]
json.dump({"current": "k1", "keys": {"k1": secrets.token_hex(16)}, "mac": secrets.token_hex(32)}, open(p, "w"))
os.chmod(p, 0o600)
PY
DJANGO_SETTINGS_MODULE=xiaoneng.settings.prod XIAONENG_SECRET_KEY="$($BIN/python -c 'import secrets;print(secrets.token_urlsafe(60))')" \
  XIAONENG_KEY_PROVIDER=xiaoneng.core.crypto.FileKeyProvider XIAONENG_KEY_FILE="$tmpkeys/keys.json" \
  XIAONENG_DATABASE_URL="sqlite:///$tmpkeys/deploy-check.sqlite3" XIAONENG_ALLOWED_HOSTS=xiaoneng.example.gov.cn \
  $BIN/python manage.py check --deploy --fail-level WARNING || failed+=("check --deploy")
rm -rf "$tmpkeys"

echo
if [ ${#skipped[@]} -gt 0 ]; then loud "SKIPPED: ${skipped[*]}"; fi
if [ ${#failed[@]} -gt 0 ]; then
  printf '\033[1;31mFAILED: %s\033[0m\n' "${failed[*]}"
  exit 1
fi
printf '\033[1;32mAll test stages passed.\033[0m\n'
