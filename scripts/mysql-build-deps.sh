#!/usr/bin/env bash
# Can `mysqlclient` (the MariaDB/MySQL driver) be built here? It needs a C compiler, pkg-config and the
# MariaDB or MySQL client headers. When they are missing and we are root with apt-get (CI on a fresh
# machine), install them. Exit 0 when the build can go ahead, 1 (with the reason on stderr) when not;
# under CI=true a missing dependency is an error the caller must not swallow (the MariaDB tests must run).
set -uo pipefail

have_headers() {
  command -v pkg-config >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
    { pkg-config --exists mysqlclient || pkg-config --exists libmariadb || pkg-config --exists mariadb; }
}

have_headers && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing the MariaDB client headers (libmariadb-dev, pkg-config, gcc) for mysqlclient..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmariadb-dev pkg-config gcc; } \
    >/dev/null 2>&1 || echo "apt-get install libmariadb-dev pkg-config gcc failed" >&2
  have_headers && exit 0
fi

echo "mysqlclient cannot be built here (it needs pkg-config, a C compiler and libmariadb-dev or" \
     "libmysqlclient-dev): the MariaDB tests will skip." >&2
exit 1
