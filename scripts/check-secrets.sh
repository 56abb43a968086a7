#!/usr/bin/env bash
# Fails if any given log contains a bot token or an interaction token used by the tests.
# CI runs it over the whole test run's output and LOG_FILE (what every process logged).
set -euo pipefail
pattern='interaction-token-[0-9a-f]{8}|MTAw[A-Za-z0-9_.-]*token-[a-z]{10,}|bench\.token\.value'
lines=0
for file in "$@"; do
  [ -f "$file" ] || continue
  lines=$((lines + $(wc -l < "$file")))
  if grep -nE "$pattern" "$file" | head -5; then
    echo "check-secrets: a token appears in $file (above); it must be redacted" >&2
    exit 1
  fi
done
echo "check-secrets: no token in $lines log lines"
