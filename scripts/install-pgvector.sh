#!/usr/bin/env bash
# Installs the pgvector extension for Debian 12's PostgreSQL 15 (run as root). Debian 12 ships no
# pgvector package, but Debian's own source package (from trixie) builds against
# postgresql-server-dev-15 in well under a minute. A temporary sources list and lists directory keep
# the machine's apt configuration untouched. Exits 0 if pgvector is already installed.
set -euo pipefail
pg_major="${PG_MAJOR:-15}"
if [ ! -x "/usr/lib/postgresql/${pg_major}/bin/initdb" ]; then
  apt-get update -qq
  apt-get install -y -qq "postgresql-${pg_major}"
fi
if [ -f "/usr/share/postgresql/${pg_major}/extension/vector.control" ]; then
  echo "pgvector: already installed for PostgreSQL ${pg_major}"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"
echo "deb-src http://deb.debian.org/debian trixie main" > "$work/sources.list"
apt_tmp=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists")
missing=()
for package in "postgresql-server-dev-${pg_major}" build-essential dpkg-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
apt-get "${apt_tmp[@]}" update -qq
cd "$work"
apt-get "${apt_tmp[@]}" source --download-only pgvector
dpkg-source -x --no-check ./pgvector_*.dsc src >/dev/null
cd src
make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" OPTFLAGS=""
make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" install
echo "pgvector: installed $(grep default_version vector.control) for PostgreSQL ${pg_major}"
