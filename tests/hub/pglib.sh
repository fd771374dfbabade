# A PostgreSQL cluster of the test's own (sourced by the hub tests):
# initdb and pg_ctl in a scratch directory, run as an unprivileged user
# (initdb refuses root: as root, the cluster runs as 'nobody'), listening
# only on a Unix socket in that directory and on loopback at a free port.
# pg_start DIR sets PGHOST, PGPORT, PGUSER and PG_URI_BASE
# ("postgresql:///?host=DIR&port=N&user=phr" without a database name);
# pg_stop stops it (call it from the caller's EXIT trap).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=

pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pg_start() {
	PG_DIR=$1
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$PG_DIR"
		chmod o+x "$(dirname "$PG_DIR")" # mktemp -d makes it 0700: nobody must pass through
	fi
	chmod 700 "$PG_DIR"
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U phr --no-sync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1; then
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	local tries
	for tries in 1 2 3; do
		PGPORT=$(pg_free_port)
		if pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
			-o "-k $PG_DIR -p $PGPORT -h 127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null; then
			break
		fi
		PGPORT=
	done
	[ -n "$PGPORT" ] || { cat "$PG_DIR/server.log" >&2; return 1; }
	export PGHOST=$PG_DIR PGPORT PGUSER=phr
	export PG_URI_BASE="postgresql:///?host=$PG_DIR&port=$PGPORT&user=phr"
}

# pg_restart: stops the server (fast) and starts it again on the same port.
pg_restart() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-k $PG_DIR -p $PGPORT -h 127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}

# pg_uri DBNAME: the URI of a database of the cluster.
pg_uri() {
	echo "postgresql:///$1?host=$PG_DIR&port=$PGPORT&user=phr"
}

# The hub tests' common cast (sourced with tests/integration/lib.sh, $PHR
# set, in the scratch directory):
# hub_clinics N [COUNTRY...]: an authority (auth.key, pinned with phr trust
# pin), N clinics (cI.key, cI.cert certified for 365 days from 2025-01-01,
# an empty register cI.db each) of the countries given in order (GR for
# those not given) and trust.bundle, version 100, listing them.
hub_clinics() {
	local i certs=() n=$1
	shift
	local countries=("$@")
	expect 0 "authority init" -- "$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key
	expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
	for i in $(seq 1 "$n"); do
		expect 0 "clinic $i init" -- "$PHR" clinic init --name "Clinic $i" --country "${countries[$((i - 1))]:-GR}" --out "c$i.key"
		expect 0 "certify clinic $i" -- "$PHR" authority certify --key auth.key --clinic "c$i.pub" --days 365 --from 2025-01-01 --out "c$i.cert"
		expect 0 "clinic $i register" -- "$PHR" register init "c$i.db"
		certs+=(--cert "c$i.cert")
	done
	expect 0 "trust build" -- "$PHR" trust build --key auth.key "${certs[@]}" --version 100 --out trust.bundle
}

# hub_start [PORT]: one phr hub on the cluster's database "postgres"
# (pg_start first) with trust.bundle, on loopback at PORT (default: a free
# one); its output in hub.out and hub.err. Sets HUB_PID, and HUB_URL once
# it listens ("" if it did not within 10 s).
hub_start() {
	rm -f hub.out hub.err # a restarted hub's: the old line must not be read first
	"$PHR" hub --db "$(pg_uri postgres)" --listen "127.0.0.1:${1:-0}" --trust trust.bundle >hub.out 2>hub.err &
	HUB_PID=$!
	local i
	for i in $(seq 1 100); do
		grep -q "listening on" hub.out 2>/dev/null && break
		sleep 0.1
	done
	HUB_URL=$(sed -n 's/.*listening on //p' hub.out | head -1)
}
