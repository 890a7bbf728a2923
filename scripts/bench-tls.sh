#!/usr/bin/env bash
# HTTPS benchmark: wproxy reverse vs nginx, same P-256 certificate, same nginx backend.
# Proxy pinned to CPU 1 (one worker), backend and wrk on CPU 0, no nice (nice -20 made the pinned wproxy erratic here, see docs/tls.md). Loopback only;
# every process is started and stopped by PID here. Each measurement waits for a quiet machine, starts with a
# 1 s warm-up, and the order of the two proxies alternates by round; medians are printed at the end.
# Usage: scripts/bench-tls.sh [ROUNDS] [SECONDS]
# Needs a release build (scripts/build-release, or WPROXY_BIN=path), nginx and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
WPROXY_BIN=${WPROXY_BIN:-$( [ -x .build-release/release/wproxy ] && echo .build-release/release/wproxy || echo .build/release/wproxy )}
SECONDS_PER_RUN=${2:-10}
WORK=$(mktemp -d /tmp/wproxy-tls-bench.XXXXXX)
BACKEND=18680 NGINX=18681 WPROXY=18682
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -days 30 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
cat > "$WORK/backend.conf" <<CONF
worker_processes 1; daemon off; error_log $WORK/backend-error.log warn; pid $WORK/backend.pid;
events { worker_connections 4096; }
http { access_log off;
  server { listen 127.0.0.1:$BACKEND; keepalive_requests 1000000;
    location / { return 200 "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345"; } } }
CONF
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1; daemon off; error_log $WORK/error.log warn; pid $WORK/nginx.pid;
events { worker_connections 4096; }
http { access_log off;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
  server { listen 127.0.0.1:$NGINX ssl; ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m; keepalive_requests 1000000;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https; } } }
CONF
taskset -c 0 nginx -c "$WORK/backend.conf" & BACKEND_PID=$!
pids=($BACKEND_PID)
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
sleep 0.5

start_proxy() {
    case $1 in
    nginx) taskset -c 1 nginx -c "$WORK/nginx.conf" & ;;  # master + one worker, both on CPU 1
    wproxy) taskset -c 1 "$WPROXY_BIN" reverse --listen 127.0.0.1:$WPROXY --workers 1 --access-log off \
        --upstream http://127.0.0.1:$BACKEND --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" 2>/dev/null & ;;
    esac
    PROXY_PID=$!
    pids+=($PROXY_PID)
    sleep 1
}

cpu_ticks() {  # utime+stime of a process and its children, in clock ticks
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do total=$((total + $(awk '{print $14+$15}' "/proc/$pid/stat"))); done
    echo "$total"
}

rate() {  # "requests/s proxy-CPU-microseconds-per-request" for one wrk run
    local before after rps hz
    hz=$(getconf CLK_TCK)
    before=$(cpu_ticks "$PROXY_PID")
    rps=$(taskset -c 0 wrk -t1 -c"$2" -d"${SECONDS_PER_RUN}s" "${@:3}" "https://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}')
    after=$(cpu_ticks "$PROXY_PID")
    echo "$rps $(python3 -c "print(round(($after - $before) * 1e6 / $hz / ($rps * $SECONDS_PER_RUN), 1))")"
}

quiet_wait() {  # up to 20 s for the machine to be idle (< 10 % of one core busy over 1 s)
    local i a b
    for i in $(seq 20); do
        a=$(awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
        sleep 1
        b=$(awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
        # busy share of all CPUs, in % of one core (2 cores: 200 % is fully busy)
        if python3 -c "import sys; a=list(map(int,'$a'.split())); b=list(map(int,'$b'.split())); sys.exit(0 if 100*$(nproc)*(b[0]-a[0])/max(1,b[1]-a[1]) < 10 else 1)"; then return; fi
    done
    echo "# machine not quiet after 20 s; measuring anyway" >&2
}

RESULTS=$WORK/results.txt
printf "round proxy keepalive_rps keepalive_us_per_req handshake_rps handshake_us_per_conn load\n"
for round in $(seq "$ROUNDS"); do
    # Alternate which proxy goes first, so a drift of the machine within a round favours neither.
    order="nginx wproxy"; [ $((round % 2)) = 0 ] && order="wproxy nginx"
    for proxy in $order; do
        port=$([ $proxy = nginx ] && echo $NGINX || echo $WPROXY)
        quiet_wait
        start_proxy $proxy
        taskset -c 0 wrk -t1 -c64 -d1s "https://127.0.0.1:$port/" >/dev/null  # warm-up (session cache, pools)
        keep=$(rate "$port" 64)
        close=$(rate "$port" 16 -H "Connection: close")
        printf "%s %s %s %s %s\n" "$round" "$proxy" "$keep" "$close" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
        kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
        sleep 0.5
    done
done
python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {}
for proxy in ("nginx", "wproxy"):
    cols = list(zip(*[r[2:6] for r in rows if r[1] == proxy]))
    med[proxy] = [statistics.median(map(float, c)) for c in cols]
print("medians     keepalive_rps us_per_req handshake_rps us_per_conn")
for proxy, m in med.items():
    print(f"{proxy:10s} {m[0]:13.0f} {m[1]:10.1f} {m[2]:13.0f} {m[3]:11.1f}")
print(f"wproxy/nginx keep-alive {med['wproxy'][0] / med['nginx'][0]:.2f}x, handshakes {med['wproxy'][2] / med['nginx'][2]:.2f}x")
PY
