#!/usr/bin/env bash
# Checks the deployment files for what can be checked without a container
# runtime or an image registry (CI runs it from .ci/run, as root; it needs
# systemd, nginx, docker-compose, openssl, curl and python3-yaml):
#
#   - the systemd unit: systemd-analyze verify, and its exposure score
#     (systemd-analyze security) no worse than 2.0;
#   - the nginx server blocks (this machine's, and the Compose one): nginx -t;
#   - the example Prometheus config and alert rules: promtool check, and
#     promtool test rules (alerts_test.yml: they fire when they should);
#   - the Compose file: parsed and validated by docker-compose, and read
#     for what must agree (three MongoDB members, two instances with the
#     same secrets, nginx's fixed address = the instances' trusted proxy);
#   - the real thing: the program built as the Dockerfile builds it,
#     started with the unit's environment file, behind nginx with the
#     server block as shipped (on other ports): TLS, the redirect to
#     https, HSTS, X-Real-IP set by nginx and believed from it only (a
#     forged one does not escape the rate limit), /metrics and the access
#     log, and the scrape passes promtool check metrics.
#
# The image itself is not built: no image registry is reachable here.
#
#   bash deploy/check.sh [path-to-built-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

bin=${1:-}
if [ -z "$bin" ]; then
  echo "-- build the program with the Dockerfile's own build command (static, version stamped)"
  bin=$work/kynangso
  build=$(awk '/^RUN CGO_ENABLED=0 go build /{sub(/^RUN /, ""); sub(/ *\\$/, ""); print; exit}' deploy/Dockerfile)
  [ -n "$build" ] || { echo "no go build line in deploy/Dockerfile"; exit 1; }
  build=${build//\/out\/kynangso/$bin}
  echo "$build"
  VERSION=ci-check eval "$build"
fi
if ldd "$bin" >/dev/null 2>&1; then
  echo "the program is not a static binary:"; ldd "$bin"; exit 1
fi

echo "-- systemd unit"
mkdir -p "$work/units"
# verify wants the program to exist at ExecStart=.
sed "s#^ExecStart=/usr/local/bin/kynangso#ExecStart=$bin#" deploy/systemd/kynangso.service > "$work/units/kynangso.service"
out=$(systemd-analyze verify "$work/units/kynangso.service" 2>&1 || echo "systemd-analyze verify failed")
if [ -n "$out" ]; then echo "$out"; exit 1; fi
systemd-analyze security --offline=yes --threshold=20 "$work/units/kynangso.service" | tail -1

echo "-- nginx: the server blocks parse (nginx -t)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=kynangso.example.vn \
  -addext "subjectAltName=DNS:kynangso.example.vn" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
mime=/etc/nginx/mime.types
nginxconf() { # site-file
  cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log stderr warn;
events {}
http {
    include $mime;
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    include $1;
}
CONF
}
sed -e "s#/etc/letsencrypt/live/kynangso.example.vn/fullchain.pem#$work/cert.pem#" \
    -e "s#/etc/letsencrypt/live/kynangso.example.vn/privkey.pem#$work/key.pem#" \
    -e "s#listen 80;#listen 127.0.0.1:18080;#; s#listen \[::\]:80;##" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:18443 ssl http2;#; s#listen \[::\]:443 ssl http2;##" \
    -e "s#server 127.0.0.1:3000;#server 127.0.0.1:13000;#" \
    deploy/nginx/kynangso.conf > "$work/site.conf"
nginxconf "$work/site.conf"
nginx -t -q -c "$work/nginx.conf"
# The Compose one: its upstreams are names on the Compose network, which
# nginx -t would look up; here they stand for loopback.
sed -e "s#/etc/nginx/tls/fullchain.pem#$work/cert.pem#; s#/etc/nginx/tls/privkey.pem#$work/key.pem#" \
    -e "s#server app1:3000#server 127.0.0.1:13001#; s#server app2:3000#server 127.0.0.1:13002#" \
    -e "s#listen 80;#listen 127.0.0.1:18081;#; s#listen 443 ssl http2;#listen 127.0.0.1:18444 ssl http2;#" \
    deploy/compose/nginx.conf > "$work/compose-site.conf"
nginxconf "$work/compose-site.conf"
nginx -t -q -c "$work/nginx.conf"

echo "-- Compose file: parsed and validated (docker-compose config)"
(cd deploy/compose && docker-compose -f compose.yaml config) > "$work/compose.yaml"
python3 - "$work/compose.yaml" deploy/compose/nginx.conf deploy/nginx/kynangso.conf deploy/systemd/kynangso.env <<'PY'
import re, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
compose_nginx, site, envfile = (open(p).read() for p in sys.argv[2:5])
s = c["services"]
def fail(msg):
    print("compose/nginx disagree:", msg); sys.exit(1)
mongo = [n for n, v in s.items() if v.get("image", "").startswith("mongo:") and "--replSet" in (v.get("command") or [])]
if len(mongo) != 3: fail(f"want three MongoDB members, have {mongo}")
apps = [n for n, v in s.items() if "KNS_MONGODB_URI_FILE" in (v.get("environment") or {})]
if len(apps) != 2: fail(f"want two instances of the program, have {apps}")
proxy = s["nginx"]["networks"]["backend"]["ipv4_address"]
for a in apps:
    env = s[a]["environment"]
    if env.get("KNS_TRUSTED_PROXIES") != proxy: fail(f"{a} trusts {env.get('KNS_TRUSTED_PROXIES')}, nginx is {proxy}")
    if env.get("KNS_SECRET_KEY_FILE") != "/run/secrets/kns_secret_key": fail(f"{a} reads KNS_SECRET_KEY elsewhere")
    if sorted(x["source"] for x in s[a]["secrets"]) != ["kns_mongodb_uri", "kns_secret_key"]: fail(f"{a} secrets {s[a]['secrets']}")
    if "mongo-init" not in s[a]["depends_on"]: fail(f"{a} does not wait for the replica set")
    if f"server {a}:3000" not in compose_nginx: fail(f"nginx does not send to {a}")
for conf, name in ((compose_nginx, "compose nginx.conf"), (site, "deploy/nginx/kynangso.conf")):
    if "proxy_set_header X-Real-IP $remote_addr;" not in conf: fail(f"{name} does not set X-Real-IP")
env = dict(l.split("=", 1) for l in envfile.splitlines() if l and not l.startswith("#"))
port = env["KNS_ADDR"].rsplit(":", 1)[1]
if f"server 127.0.0.1:{port};" not in site: fail(f"nginx does not send to KNS_ADDR {env['KNS_ADDR']}")
if "127.0.0.1" not in env["KNS_TRUSTED_PROXIES"].split(","): fail("the environment file does not trust nginx on 127.0.0.1")
print("compose: 3 MongoDB members, 2 instances sharing kns_secret_key, trusted proxy", proxy)
PY

echo "-- Prometheus example: config and alert rules (promtool), dashboard JSON"
promtool check config deploy/prometheus/prometheus.yml >/dev/null
promtool check rules deploy/prometheus/alerts.yml >/dev/null
promtool test rules deploy/prometheus/alerts_test.yml >/dev/null   # the alerts fire when they should
python3 -m json.tool deploy/grafana/kynangso.json >/dev/null

echo "-- the program behind nginx, as the unit and the server block run it"
mkdir -p "$work/data" "$work/body" "$work/proxy"
# The unit's environment file, on other ports and folders, a low verify limit.
sed -e "s#^KNS_DATA_DIR=.*#KNS_DATA_DIR=$work/data#; s#^KNS_BACKUP_DIR=.*#KNS_BACKUP_DIR=$work/backups#" \
    -e "s#^KNS_ADDR=.*#KNS_ADDR=127.0.0.1:13000#; s#^KNS_METRICS_ADDR=.*#KNS_METRICS_ADDR=127.0.0.1:19464#" \
    -e "s#^KNS_BASE_URL=.*#KNS_BASE_URL=https://kynangso.example.vn:18443#; s#^KNS_VERIFY_LIMIT=.*#KNS_VERIFY_LIMIT=2#" \
    deploy/systemd/kynangso.env > "$work/kynangso.env"
(set -a; . "$work/kynangso.env"; exec "$bin") > "$work/app.out" 2> "$work/app.log" &
pids+=($!)
nginxconf "$work/site.conf"
nginx -c "$work/nginx.conf" -g "daemon off;" 2> "$work/nginx.log" &
pids+=($!)
site=https://kynangso.example.vn:18443
curlk() { curl -sk --resolve kynangso.example.vn:18443:127.0.0.1 --resolve kynangso.example.vn:18080:127.0.0.1 "$@"; }
for i in $(seq 1 100); do
  curlk -f -o /dev/null "$site/healthz" && break
  [ "$i" = 100 ] && { echo "no answer through nginx"; cat "$work/app.log" "$work/nginx.log"; exit 1; }
  sleep 0.2
done
want() { # what got expected
  if [ "$2" != "$3" ]; then echo "$1: got '$2', want '$3'"; cat "$work/app.log" | tail -20; exit 1; fi
  echo "ok: $1"
}
want "healthz over TLS" "$(curlk "$site/healthz")" ok
want "http goes to https" "$(curlk -o /dev/null -w '%{http_code} %{redirect_url}' http://kynangso.example.vn:18080/v/X)" \
  "301 https://kynangso.example.vn/v/X"
want "HSTS from the program" "$(curlk -D - -o /dev/null "$site/" | grep -ci '^strict-transport-security: max-age=')" 1
# Each request claims another client address; nginx overwrites X-Real-IP
# with the address it saw, so all three count as one client: the third is
# over KNS_VERIFY_LIMIT=2.
codes=""
for ip in 203.0.113.1 203.0.113.2 203.0.113.3; do
  codes="$codes $(curlk -o /dev/null -w '%{http_code}' -H "X-Real-IP: $ip" "$site/api/v1/verify/0000-0000-0000")"
done
want "a forged X-Real-IP does not escape the limit" "$codes" " 404 404 429"
# And the program does read X-Real-IP from its trusted proxy (loopback,
# where nginx is): another client named there has a count of its own.
want "X-Real-IP believed from the trusted proxy" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Real-IP: 198.51.100.7' http://127.0.0.1:13000/api/v1/verify/0000-0000-0000)" 404
want "metrics on KNS_METRICS_ADDR" "$(curl -s http://127.0.0.1:19464/metrics | grep -c '^kns_build_info{.*version="ci-check"')" 1
curl -s http://127.0.0.1:19464/metrics > "$work/metrics.txt"
lint=$(promtool check metrics < "$work/metrics.txt" 2>&1 || true)
if [ -n "$lint" ]; then echo "promtool check metrics:"; echo "$lint"; exit 1; fi
echo "ok: the scrape passes promtool check metrics"
want "refusal counted" "$(curl -s http://127.0.0.1:19464/metrics | grep '^kns_rate_limit_refusals_total{limit="verify"}')" \
  'kns_rate_limit_refusals_total{limit="verify"} 1'
want "one JSON access-log line per request, route pattern only" \
  "$(grep '"msg":"request"' "$work/app.log" | grep -c '"route":"/api/v1/verify/:code","status":429')" 1
if grep -q '0000-0000-0000\|203.0.113\|198.51.100' "$work/app.log"; then echo "the log holds a code or an address"; exit 1; fi
want "a container's health check" "$(set -a; . "$work/kynangso.env"; "$bin" healthcheck && echo healthy)" healthy
echo "deployment files: ok"
