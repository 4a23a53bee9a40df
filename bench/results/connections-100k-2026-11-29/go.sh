#!/bin/bash
# The 100,000-connection runs of README.md in this directory. Usage: go.sh NAME [loadtest options...]
# Needs redis-server and `npm run build`. Starts Redis on 16379 (if not running) and
# `serve --workers 7` on 0.0.0.0:18090, runs the load generator over 8 server addresses with 6 processes,
# writes /tmp/r100k/NAME (summary.json, timeseries.csv, events.csv) and its logs, then stops the server.
set -u
NAME=$1; shift
cd "$(dirname "$0")/../../.."
mkdir -p /tmp/r100k
redis-cli -p 16379 ping >/dev/null 2>&1 || redis-server --port 16379 --save "" --appendonly no --daemonize yes --logfile /tmp/r100k/redis.log
redis-cli -p 16379 flushall >/dev/null
pkill -TERM -f "serve --port 18090"; sleep 2
rm -rf /tmp/r100k/data && mkdir -p /tmp/r100k/data
(ulimit -n 20000; exec node dist/src/cli/main.js serve --port 18090 --host 0.0.0.0 --data-dir /tmp/r100k/data --log-level warn \
  --workers 7 --max-connections 19000 --max-connections-per-address 0 --guests-per-minute 0 --redis-url redis://127.0.0.1:16379 > /tmp/r100k/server-$NAME.log 2>&1) &
sleep 6
URLS=$(for i in 1 2 3 4 5 6 7 8; do printf "ws://127.0.0.$i:18090/ws,"; done | sed 's/,$//')
B=$(nstat -az | awk '/ListenOverflows/{print $2}')
(for i in $(seq 1 80); do echo "$(date +%T) est=$(ss -Htn state established '( sport = :18090 )' | wc -l) load=$(cut -d' ' -f1 /proc/loadavg) mem=$(free -m | awk '/Mem/{print $3}')"; sleep 5; done > /tmp/r100k/ss-$NAME.log 2>&1) &
SS=$!
(ulimit -n 20000; node dist/src/cli/main.js loadtest --url "$URLS" --metrics-url http://127.0.0.1:18090/metrics --clients 100000 \
  --procs 6 --connect-rate 2000 --connect-timeout 150s --seed 7 --name "$NAME" --out /tmp/r100k/$NAME "$@" > /tmp/r100k/lt-$NAME.log 2>&1
 echo "EXIT $?" >> /tmp/r100k/lt-$NAME.log)
A=$(nstat -az | awk '/ListenOverflows/{print $2}')
echo "listen overflows during run: $((A-B))" >> /tmp/r100k/lt-$NAME.log
kill $SS
pkill -TERM -f "serve --port 18090"
tail -20 /tmp/r100k/lt-$NAME.log
