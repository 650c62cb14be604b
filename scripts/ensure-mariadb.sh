#!/usr/bin/env bash
# Makes sure a MariaDB server answers on 127.0.0.1:3306 with database `test`.
# Installs it from Debian's packages when missing. Safe to run repeatedly.
set -euo pipefail
up() { mariadb -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "installing mariadb-server"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi
if ! up; then
  echo "starting mariadbd"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do up && break; sleep 0.5; done
fi
if ! up; then
  echo "MariaDB is not reachable on 127.0.0.1:3306" >&2
  exit 1
fi
mariadb -h127.0.0.1 -P3306 -uroot -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null
echo "MariaDB is up on 127.0.0.1:3306"
