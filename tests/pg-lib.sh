# pg-lib.sh - throwaway PostgreSQL clusters for the tests (Debian's
# postgresql package, installed by scripts/deps.sh --test): each on
# 127.0.0.1 on a free port, in its own directory, run as an unprivileged
# user (the "postgres" system user when we are root: the server refuses
# root), fsync and synchronous_commit on as in production.  Source it.
#
#   pg_new NAME [EXTRA_POSTGRESQL_CONF_LINES]  a cluster: sets PG_DIR_NAME,
#                                              PG_PORT_NAME, PG_URL_NAME
#   pg_start NAME / pg_stop NAME [MODE]        (MODE immediate: a crash)
#   pg_sql NAME SQL                            psql as the superuser
#   pg_standby NAME FROM / pg_promote NAME     streaming replication
#   pg_conf NAME LINE                          a setting, reloaded
# No PostgreSQL is a failure (exit 1), never a skip.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ ! -x "$PG_BIN/initdb" ]; then
	echo "FAIL - PostgreSQL's server is not installed (scripts/deps.sh --test)"
	exit 1
fi
PG_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/ledger-pg-XXXXXX")
chmod 755 "$PG_ROOT"
PG_USER=$(id -un)
PG_AS=()
if [ "$(id -u)" = 0 ]; then
	PG_USER=postgres
	PG_AS=(runuser -u postgres --)
	chown postgres "$PG_ROOT"
fi
PG_CLUSTERS=()

pg_cleanup() {
	local n
	for n in "${PG_CLUSTERS[@]}"; do
		"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/$n" -m immediate \
		    stop >/dev/null 2>&1
	done
	rm -rf "$PG_ROOT"
}

pg_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pg_new NAME [CONF]: initdb, configure, start, create database "ledger"
pg_new() {
	local n=$1 conf=${2:-} port
	port=$(pg_free_port)
	"${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_ROOT/$n" -U ledger --auth=trust \
	    -E UTF8 --locale=C.UTF-8 --no-instructions >"$PG_ROOT/$n.initdb.log" 2>&1 ||
	    { echo "FAIL - initdb $n:"; cat "$PG_ROOT/$n.initdb.log"; return 1; }
	cat >>"$PG_ROOT/$n/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_ROOT'
fsync = on
synchronous_commit = on
max_connections = 200
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 4
log_min_messages = warning
$conf
CONF
	echo "host replication ledger 127.0.0.1/32 trust" >>"$PG_ROOT/$n/pg_hba.conf"
	PG_CLUSTERS+=("$n")
	printf -v "PG_DIR_$n" '%s' "$PG_ROOT/$n"
	printf -v "PG_PORT_$n" '%s' "$port"
	printf -v "PG_URL_$n" '%s' "postgresql://ledger@127.0.0.1:$port/ledger"
	pg_start "$n" || return 1
	"${PG_AS[@]}" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U ledger \
	    -d postgres -c 'CREATE DATABASE ledger' >/dev/null
}

pg_start() {
	"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1" -l "$PG_ROOT/$1.log" \
	    -w -t 60 start >/dev/null 2>&1 ||
	    { echo "FAIL - start PostgreSQL $1:"; tail -20 "$PG_ROOT/$1.log"; return 1; }
}

pg_stop() {
	"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1" -m "${2:-fast}" -w \
	    stop >/dev/null 2>&1
}

pg_sql() {
	local port_var="PG_PORT_$1"
	"${PG_AS[@]}" "$PG_BIN/psql" -qAt -v ON_ERROR_STOP=1 -h 127.0.0.1 \
	    -p "${!port_var}" -U ledger -d ledger -c "$2"
}

# pg_standby NAME FROM: NAME becomes a streaming standby of the running
# cluster FROM (pg_basebackup -R: standby.signal and primary_conninfo),
# on a port of its own (kept when NAME was a cluster before: a rebuilt
# old primary keeps its address), and is started.
pg_standby() {
	local n=$1 from=$2 port port_var="PG_PORT_$1" from_port="PG_PORT_$2"
	port=${!port_var:-$(pg_free_port)}
	"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/$n" -m immediate stop \
	    >/dev/null 2>&1
	rm -rf "${PG_ROOT:?}/$n"
	"${PG_AS[@]}" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "${!from_port}" \
	    -U ledger -D "$PG_ROOT/$n" -R -X stream -c fast \
	    >"$PG_ROOT/$n.basebackup.log" 2>&1 ||
	    { echo "FAIL - pg_basebackup $n from $from:"; cat "$PG_ROOT/$n.basebackup.log"; return 1; }
	echo "port = $port" >>"$PG_ROOT/$n/postgresql.conf"
	[[ " ${PG_CLUSTERS[*]} " == *" $n "* ]] || PG_CLUSTERS+=("$n")
	printf -v "PG_DIR_$n" '%s' "$PG_ROOT/$n"
	printf -v "PG_PORT_$n" '%s' "$port"
	printf -v "PG_URL_$n" '%s' "postgresql://ledger@127.0.0.1:$port/ledger"
	pg_start "$n"
}

# pg_conf NAME LINE: a line added to NAME's postgresql.conf, the server
# told to read it again.
pg_conf() {
	echo "$2" >>"$PG_ROOT/$1/postgresql.conf"
	"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1" reload >/dev/null 2>&1
}

# pg_promote NAME: the standby NAME becomes a primary (pg_ctl promote,
# waiting until it takes writes).
pg_promote() {
	"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1" -w -t 60 promote \
	    >/dev/null 2>&1
}
