#!/usr/bin/env bash
# Starts the action server, the Rasa server and the debtor page; Ctrl-C stops all three.
# Used by `make run` (and `make shell` with --shell) after set-up, training and the demo ledger.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
ACTION_PORT=${ACTION_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
WEB_PORT=${WEB_PORT:-8080}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
export RASA_AUTH_TOKEN=${RASA_AUTH_TOKEN:-dev-token-change-me}
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
mkdir -p var/logs
# The action server's port goes into a copy of the endpoints file, so ACTION_PORT works with any ENDPOINTS.
sed "s#http://localhost:5055/webhook#http://localhost:$ACTION_PORT/webhook#" "$ENDPOINTS" > var/endpoints.yml
ENDPOINTS=var/endpoints.yml

for port in "$ACTION_PORT" "$RASA_PORT" "$WEB_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use (is the assistant already running?). Stop it or set ACTION_PORT/RASA_PORT/WEB_PORT." >&2
    exit 1
  fi
done

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
  exit 0
}
trap stop_all INT TERM EXIT

start() {  # name, command...
  local name=$1; shift
  setsid "$@" >"var/logs/$name.log" 2>&1 &
  pids+=($!)
}

wait_http() {  # url, name, seconds
  local deadline=$((SECONDS + $3))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if (( SECONDS > deadline )); then echo "$2 did not start; see var/logs/$2.log" >&2; tail -20 "var/logs/$2.log" >&2; exit 1; fi
    sleep 1
  done
}

echo "Starting the action server on port $ACTION_PORT..."
start actions "$BIN/rasa" run actions --port "$ACTION_PORT"
wait_http "http://127.0.0.1:$ACTION_PORT/health" actions 120

if [ "${1:-}" = "--shell" ]; then
  "$BIN/rasa" shell --model models/current.tar.gz --endpoints "$ENDPOINTS"
  exit 0
fi

echo "Starting the Rasa server on port $RASA_PORT (loading the model takes a little while)..."
start rasa "$BIN/rasa" run --model models/current.tar.gz --endpoints "$ENDPOINTS" --credentials credentials.yml \
  --port "$RASA_PORT" --enable-api --auth-token "$RASA_AUTH_TOKEN" --cors "http://localhost:$WEB_PORT"
echo "Starting the debtor page on port $WEB_PORT..."
start web "$BIN/python" -m web.server --port "$WEB_PORT" --rasa-url "http://127.0.0.1:$RASA_PORT" --token "$RASA_AUTH_TOKEN"
wait_http "http://127.0.0.1:$WEB_PORT/healthz" web 60
wait_http "http://127.0.0.1:$RASA_PORT/" rasa 240

cat <<MSG

The payment-collection assistant is running:
  Debtor page      http://localhost:$WEB_PORT/   (try http://localhost:$WEB_PORT/?account=AC-10023, born 12 April 1980)
  Rasa server      http://localhost:$RASA_PORT/   REST channel: POST /webhooks/rest/webhook
                   HTTP API token: RASA_AUTH_TOKEN (${RASA_AUTH_TOKEN:0:3}...; development default when unset)
  Action server    http://localhost:$ACTION_PORT/webhook
  Accounts DB      ${ACCOUNTS_DB_URL:-sqlite:///var/accounts.db}
  Logs             var/logs/
Press Ctrl-C to stop everything.
MSG

wait -n "${pids[@]}" || true
echo "A server stopped unexpectedly; see var/logs/." >&2
