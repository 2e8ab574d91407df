#!/usr/bin/env bash
# The official TransactionProducer benchmark (rocketmq-example 4.7.0, the newest 4.x example on Maven
# Central) with rocketmq-client 4.9.8 first on the classpath, against our standalone server for
# DURATION_S seconds. Prints the benchmark's stats lines; the last one carries
# "unexpectedCheck: N duplicatedCheck: N" over the last 10 s window, and we also sum them over the run.
#
# Needs: npm run build; compat-tests/java/target/classpath.txt (client 4.9.8) and
# compat-tests/apache/target/classpath.txt (srvutil, commons-cli, acl), both written by the compat tests.
# Env: DURATION_S (60), THREADS (4), SEND_INTERVAL_MS (5), and the benchmark's rates: SU (send unknown,
# 0.3), CU (check unknown, 0.3), CR (check rollback, 0.2), SR (send rollback, 0.1).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
M2="${HOME}/.m2/repository"
EXAMPLE="$M2/org/apache/rocketmq/rocketmq-example/4.7.0/rocketmq-example-4.7.0.jar"
[ -f "$EXAMPLE" ] || mvn -q dependency:get -Dartifact=org.apache.rocketmq:rocketmq-example:4.7.0 -Dtransitive=false
CLIENT_CP="$(cat "$ROOT/compat-tests/java/target/classpath.txt")"
EXTRA_CP="$(tr ':' '\n' < "$ROOT/compat-tests/apache/target/classpath.txt" | grep -E 'srvutil|commons-cli|rocketmq-acl' | paste -sd:)"
DIR="$(mktemp -d /tmp/rocketmq-ts-txbench.XXXX)"
NS_PORT=$((20000 + RANDOM % 10000)); BROKER_PORT=$((30000 + RANDOM % 10000))
cat > "$DIR/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
listenPort=$BROKER_PORT
brokerIP1=127.0.0.1
storePathRootDir=$DIR/store
mappedFileSizeCommitLog=268435456
# Checks within the minute: half messages older than 3 s, checked every 5 s, at most 15 times.
transactionTimeOut=3000
transactionCheckInterval=5000
CONF
node "$ROOT/dist/cli.js" standalone -c "$DIR/broker.conf" --namesrv-port "$NS_PORT" > "$DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do grep -q "boot success" "$DIR/server.log" 2>/dev/null && grep -q "The broker" "$DIR/server.log" && break; sleep 0.2; done
set +e
timeout "${DURATION_S:-60}" java -Xms256m -Xmx512m -Drocketmq.client.logUseSlf4j=false -Drocketmq.client.logRoot="$DIR" \
  -cp "$CLIENT_CP:$EXAMPLE:$EXTRA_CP" org.apache.rocketmq.example.benchmark.TransactionProducer \
  -n "127.0.0.1:$NS_PORT" -w "${THREADS:-4}" -i "${SEND_INTERVAL_MS:-5}" -s 256 \
  -sr "${SR:-0.1}" -su "${SU:-0.3}" -cr "${CR:-0.2}" -cu "${CU:-0.3}" | tee "$DIR/bench.out"
set -e
echo "--- server: $(grep -c "" "$DIR/server.log") log lines; $DIR"
grep -E "unexpected check" "$DIR/bench.out" | head -5 || true
awk '/unexpectedCheck/ { for (i = 1; i <= NF; i++) { if ($i == "unexpectedCheck:") u += $(i+1); if ($i == "duplicatedCheck:") d += $(i+1); if ($i == "check:") c += $(i+1) } }
  END { printf "summed over the printed 10 s windows: check: %d unexpectedCheck: %d duplicatedCheck: %d\n", c, u, d }' "$DIR/bench.out"
