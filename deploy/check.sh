#!/usr/bin/env bash
# Exercises deploy/ where this machine allows (docs/operating.md, "What is tested"):
# - the systemd unit passes `systemd-analyze verify` with no complaint;
# - the nginx site passes `nginx -t`, then serves: nginx in front of the binary,
#   started with the unit's own command line and deploy/unionhall.toml, answers
#   /readyz over TLS, refuses a body over the limit with 413, passes its request
#   id on, and loses no request while one of two processes restarts.
# - the Caddyfile passes `caddy validate`, then serves: Caddy in front of the
#   same process answers /readyz over TLS and refuses a body over the limit.
# Containers cannot run here: deploy/Containerfile and compose.yaml are not
# exercised.
# Usage: bash deploy/check.sh target/debug/unionhall
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "== systemd unit"
sed "s#/usr/local/bin/unionhall#$bin#" "$here/unionhall.service" > "$work/unionhall.service"
out=$(systemd-analyze verify "$work/unionhall.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; exit 1; fi
echo "ok"

echo "== the unit's command line"
exec_start=$(sed -n 's/^ExecStart=//p' "$here/unionhall.service")
args=${exec_start#/usr/local/bin/unionhall }
args=${args//\/etc\/unionhall\/unionhall.toml/$here/unionhall.toml}
# Only the paths the unit's StateDirectory would provide differ. The second
# process (port 8081 in nginx.conf) shares the database, as in a rolling restart.
start() { # port log
    UNIONHALL_DATABASE__URL="sqlite://$work/unionhall.db" \
    UNIONHALL_MEMBERS__KEY_FILE="$work/member-records.key" \
    UNIONHALL_HTTP__LISTEN="127.0.0.1:$1" \
    UNIONHALL_LOG__LEVEL=warn \
        "$bin" $args >> "$work/$2" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$1/readyz" 2>/dev/null && break
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$1/readyz" || { cat "$work/$2"; exit 1; }
    echo
}
start 18080 unionhall.log
first=${pids[-1]}
start 18082 second.log
echo "== healthcheck"
UNIONHALL_HTTP__LISTEN=127.0.0.1:18080 "$bin" ${args% serve} healthcheck

echo "== nginx site"
if ! command -v nginx > /dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq nginx > /dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq nginx > /dev/null; }
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=union.example.org \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2> /dev/null
sed -e "s#/etc/letsencrypt/live/union.example.org#$work#" \
    -e "s#listen 80;#listen 127.0.0.1:18081;#" -e "s#listen \[::\]:80;##" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:18443 ssl http2;#" -e "s#listen \[::\]:443 ssl http2;##" \
    -e "s#127.0.0.1:8080#127.0.0.1:18080#" -e "s#127.0.0.1:8081#127.0.0.1:18082#" \
    "$here/nginx.conf" > "$work/site.conf"
cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    include $work/site.conf;
}
CONF
nginx -t -q -p "$work" -c "$work/nginx.conf"
nginx -p "$work" -c "$work/nginx.conf" -g "daemon off;" &
pids+=($!)
resolve=(--resolve union.example.org:18443:127.0.0.1)
for _ in $(seq 1 50); do
    curl -ksS -o /dev/null "${resolve[@]}" https://union.example.org:18443/healthz 2>/dev/null && break
    sleep 0.1
done
curl -kfsS "${resolve[@]}" https://union.example.org:18443/readyz
echo
status=$(head -c 2000000 /dev/zero | curl -ks -o /dev/null -w '%{http_code}' "${resolve[@]}" \
    -H 'content-type: application/activity+json' --data-binary @- https://union.example.org:18443/inbox)
[ "$status" = 413 ] || { echo "a 2 MB body got $status, not 413"; exit 1; }
echo "ok: 413 for a body over the limit"

echo "== request ids"
id=$(curl -ksS -D - -o /dev/null "${resolve[@]}" https://union.example.org:18443/healthz \
    | tr -d '\r' | sed -n 's/^x-request-id: //Ip')
# nginx's $request_id is 32 hex digits; Unionhall's own ids are UUIDs.
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || { echo "x-request-id \"$id\" is not nginx's"; exit 1; }
echo "ok: nginx's request id reaches Unionhall and comes back ($id)"

echo "== a rolling restart through nginx"
codes="$work/codes"
(
    end=$((SECONDS + 6))
    while [ $SECONDS -lt $end ]; do
        curl -ks -o /dev/null -w '%{http_code}\n' "${resolve[@]}" \
            https://union.example.org:18443/readyz
    done > "$codes"
) &
load=$!
sleep 1
kill -TERM "$first"
wait "$first" || true
start 18080 unionhall.log
wait "$load"
total=$(wc -l < "$codes")
bad=$(grep -vc '^200$' "$codes" || true)
[ "$bad" = 0 ] || { sort "$codes" | uniq -c; echo "$bad of $total requests failed"; exit 1; }
echo "ok: $total requests while the first process stopped and started again, none failed"

echo "== Caddy site"
if ! command -v caddy > /dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq caddy > /dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq caddy > /dev/null; }
fi
# The Caddyfile as shipped, on test ports, with the certificate made above
# instead of Let's Encrypt's, and nothing written outside $work.
mkdir -p "$work/caddy"
{
    printf '{\n\tadmin off\n\tstorage file_system %s\n\thttp_port 18091\n\thttps_port 18444\n}\n' "$work/caddy"
    sed -e "s#^union.example.org {#union.example.org:18444 {\n\ttls $work/fullchain.pem $work/privkey.pem#" \
        -e "s#127.0.0.1:8080#127.0.0.1:18080#" "$here/Caddyfile"
} > "$work/Caddyfile"
caddy_env=(env HOME="$work/caddy" XDG_DATA_HOME="$work/caddy" XDG_CONFIG_HOME="$work/caddy")
"${caddy_env[@]}" caddy validate --config "$work/Caddyfile" --adapter caddyfile > "$work/caddy.log" 2>&1 \
    || { cat "$work/caddy.log"; exit 1; }
"${caddy_env[@]}" caddy run --config "$work/Caddyfile" --adapter caddyfile >> "$work/caddy.log" 2>&1 &
pids+=($!)
resolve=(--resolve union.example.org:18444:127.0.0.1)
for _ in $(seq 1 50); do
    curl -ksS -o /dev/null "${resolve[@]}" https://union.example.org:18444/healthz 2>/dev/null && break
    sleep 0.1
done
curl -kfsS "${resolve[@]}" https://union.example.org:18444/readyz || { cat "$work/caddy.log"; exit 1; }
echo
# Caddy answers 413 and resets the HTTP/2 stream while curl still sends, so
# curl exits non-zero, and now and then before it read the status (000): the
# first status read decides.
for _ in 1 2 3 4 5; do
    status=$(head -c 2000000 /dev/zero | curl -ks -o /dev/null -w '%{http_code}' "${resolve[@]}" \
        -H 'content-type: application/activity+json' --data-binary @- \
        https://union.example.org:18444/inbox || true)
    [ "$status" != 000 ] && break
done
[ "$status" = 413 ] || { echo "a 2 MB body through Caddy got $status, not 413"; exit 1; }
echo "ok: 413 for a body over the limit"
