# Shared by scripts/demo and scripts/test: root check, Debian packages, a
# build copy the unprivileged postgres account can write to, throwaway
# clusters.  PostgreSQL refuses to run as root, so servers and suites run as
# postgres.

PGVER=15
# PGBIN may point at a private copy of the server (scripts/private-pg) so that
# parallel builds do not replace each other's library under a running server.
PGBIN=${PGBIN:-/usr/lib/postgresql/$PGVER/bin}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '\n==> %s\n' "$*"; }

# Re-run the calling script as root (through sudo) if needed.
need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "run this as root (or install sudo)" >&2; exit 1; }
        exec sudo -E "$0" "$@"
    fi
}

# Debian packages the build, the demo and every test suite need.
DEPS="make gcc rsync postgresql-$PGVER postgresql-server-dev-$PGVER postgresql-$PGVER-pgtap
      postgresql-$PGVER-cron postgresql-$PGVER-partman libtap-parser-sourcehandler-pgtap-perl
      libipc-run-perl libjson-pp-perl prometheus-postgres-exporter"

install_deps() {
    local missing=""
    for p in $DEPS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # Debian's postgresql-common would create and start a cluster: not wanted.
        mkdir -p /etc/postgresql-common/createcluster.d
        echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/pg_retention.conf
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
}

# Copy the tree to a fresh directory owned by postgres, build it there with
# warnings as errors, install it.  Sets BUILD.
build_and_install() {
    BUILD=$(mktemp -d /tmp/pg_retention-build.XXXXXX)
    rsync -a --exclude .git --exclude '*.o' --exclude '*.so' --exclude '*.bc' \
          --exclude 'tmp_*' --exclude results --exclude output_iso "$TOP"/ "$BUILD"/
    chown -R postgres: "$BUILD"
    log "building in $BUILD (warnings are errors)"
    su postgres -c "make -C '$BUILD' -s COPT=-Werror PG_CONFIG=$PGBIN/pg_config" || return 1
    make -C "$BUILD" -s install PG_CONFIG=$PGBIN/pg_config >/dev/null || return 1
}

as_postgres() { su postgres -s /bin/bash -c "$*"; }

# start_cluster DIR PORT [extra postgresql.conf lines]: a throwaway cluster
# with the library preloaded, listening only on a socket in DIR.
start_cluster() {
    local dir=$1 port=$2 extra=${3:-}
    mkdir -p "$dir" && chown postgres: "$dir"
    as_postgres "$PGBIN/initdb -D '$dir/data' -A trust -U postgres --no-sync >'$dir/initdb.log'" || return 1
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
shared_preload_libraries = 'pg_retention'
fsync = off
$extra
CONF
    as_postgres "$PGBIN/pg_ctl -D '$dir/data' -l '$dir/server.log' -w start >/dev/null"
}

stop_cluster() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl -D '$dir/data' -m fast -w stop >/dev/null"
    return 0
}
