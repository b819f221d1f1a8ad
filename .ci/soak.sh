#!/usr/bin/env bash
# The soak (docs/reliability.md): about 100,000 jobs through the SQLite queue example (queue-producer, then
# several queue-worker processes) while workers are killed with SIGKILL at random moments and every fourth
# job's first call fails with a transient provider error (HTTP 529, retried by the middleware). The simulated
# provider logs every call it answers, with its exact cost in attodollars, before the answer reaches the meter.
# Then:
#   - `cost-audit audit` of the ledger: zero unknown spend, zero duplicates;
#   - every call record in the ledger was answered by the provider, every job completed;
#   - every call the provider answered that is not in the ledger was the last call of a worker the harness
#     killed (killed between the provider's answer and the ledger's flush);
#   - the audit's recorded_usd + the spend of those lost calls = the provider's logged total, exactly (integer
#     attodollars; no floating point anywhere).
#
#   .ci/soak.sh [JOBS] [WORKERS] [KILLS]     defaults: 100000 jobs, 4 workers, 60 kills
#
# JOBS is rounded up to what whole requests make (7 jobs per 3 requests); run with `nice -n 10` beside other work.
# Needs the built queue-producer, queue-worker and cost-audit (`swift build --build-tests`, or SWIFT_BUILD_DIR).
# The queue and the ledger live in /dev/shm when it exists: the soak tests process kills, for which the page
# cache is as good as a disk (docs/reliability.md), not power loss.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${1:-100000}
workers=${2:-4}
kills=${3:-60}
for value in "$jobs" "$workers" "$kills"; do
    if ! [[ "$value" =~ ^[0-9]+$ ]]; then
        echo "usage: .ci/soak.sh [JOBS] [WORKERS] [KILLS]" >&2
        exit 64
    fi
done
bin=${SWIFT_BUILD_DIR:-$(swift build --show-bin-path)}
for executable in queue-producer queue-worker cost-audit; do
    if [ ! -x "$bin/$executable" ]; then
        echo "error: $bin/$executable: not built (run swift build --build-tests first)" >&2
        exit 1
    fi
done
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/soak.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$work" "$jobs" "$workers" "$kills" << 'EOF'
import json, os, random, signal, subprocess, sys, time
from decimal import Decimal

bin_dir, work, want_jobs, worker_count, max_kills = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
random.seed(17)
db, ledger, provider_log = f"{work}/queue.sqlite", f"{work}/ledger", f"{work}/provider.log"
# Request n makes 1 job; when n % 3 == 0 also 2 children and 2 grandchildren (queue-worker's JobSpec).
requests = 0
while requests + 4 * ((requests + 2) // 3) < want_jobs:
    requests += 1
expected_jobs = requests + 4 * ((requests + 2) // 3)

def fail(message):
    sys.exit(f"error: soak: {message}")

def attodollars(text):
    # A money string from the audit's JSON ("12.345678900"), exactly.
    value = Decimal(text) * 10**18
    if value != value.to_integral_value():
        fail(f"money {text} is finer than an attodollar")
    return int(value)

started = time.monotonic()
subprocess.run([f"{bin_dir}/queue-producer", db, ledger, str(requests), "17"], check=True,
               stdout=subprocess.DEVNULL)
produced = time.monotonic() - started
print(f"soak: {requests} requests enqueued ({expected_jobs} jobs) in {produced:.0f} s")

running = {}   # worker id -> process
killed = []    # (worker id, seconds since the workers started)
next_id = 0
def start_worker():
    global next_id
    name = f"w{next_id}"
    next_id += 1
    err = open(f"{work}/{name}.err", "w")
    running[name] = subprocess.Popen(
        [f"{bin_dir}/queue-worker", db, ledger, name, "--exit-when-drained", "--lease-ms", "1000",
         "--provider-log", provider_log, "--quiet"],
        stdout=subprocess.DEVNULL, stderr=err)

work_started = time.monotonic()
for _ in range(worker_count):
    start_worker()
next_kill = work_started + random.uniform(0.5, 3)
deadline = work_started + 1800
while running:
    for name, process in list(running.items()):
        status = process.poll()
        if status is not None:
            del running[name]
            if status != 0:
                fail(f"worker {name} ended with status {status}: {open(f'{work}/{name}.err').read().strip()}")
    now = time.monotonic()
    if now > deadline:
        for process in running.values():
            process.kill()
        fail("the queue was not drained within 30 minutes")
    if running and len(killed) < max_kills and now >= next_kill:
        name = random.choice(sorted(running))
        running[name].send_signal(signal.SIGKILL)
        running[name].wait()
        del running[name]
        killed.append((name, now - work_started))
        start_worker()
        next_kill = now + random.uniform(0.5, 3)
    time.sleep(0.02)
worked = time.monotonic() - work_started
print(f"soak: {next_id} worker processes, {len(killed)} killed with SIGKILL, queue drained in {worked:.0f} s")

# The provider's bill.
answered = {}   # (leaf, attempt) -> (worker, status, cost)
last_call = {}  # worker -> its last (leaf, attempt)
provider_total = 0
for line in open(provider_log):
    parts = line.split()
    if len(parts) != 5 or not line.endswith("\n"):
        fail(f"{provider_log}: malformed line {line!r}")
    worker, leaf, attempt, status, cost = parts[0], parts[1], int(parts[2]), int(parts[3]), int(parts[4])
    if cost < 0:
        fail(f"{provider_log}: a call the built-in prices do not price: {line!r}")
    if (leaf, attempt) in answered:
        fail(f"{provider_log}: call ({leaf}, attempt {attempt}) answered twice")
    answered[(leaf, attempt)] = (worker, status, cost)
    last_call[worker] = (leaf, attempt)
    provider_total += cost

# The ledger, read raw: call records by (leaf, attempt); record ids counted.
recorded = {}
record_ids = {}
torn = 0
for name in sorted(os.listdir(ledger)):
    for line in open(f"{ledger}/{name}", "rb"):
        try:
            record = json.loads(line)
        except ValueError:
            torn += 1
            continue
        record_ids[record["record_id"]] = record_ids.get(record["record_id"], 0) + 1
        if record.get("kind", "call") == "call":
            key = (record.get("leaf_id", "-"), record.get("attempt", 1))
            if key in recorded:
                fail(f"two call records for ({key[0]}, attempt {key[1]})")
            recorded[key] = record

audit = subprocess.run([f"{bin_dir}/cost-audit", "audit", ledger, "--format", "json"], check=True,
                       capture_output=True, text=True)
report = json.loads(audit.stdout)
recorded_usd = attodollars(report["recorded_usd"])
unknown = attodollars(report["classes"]["unknown"])

# Calls the provider answered whose record never reached the ledger: each must be the last call of a killed worker.
killed_names = {name for name, _ in killed}
lost = [key for key in answered if key not in recorded]
for key in lost:
    worker = answered[key][0]
    if worker not in killed_names or last_call[worker] != key:
        fail(f"call ({key[0]}, attempt {key[1]}) of worker {worker} was answered and never recorded, "
             "and its worker was not killed right after it")
phantom = [key for key in recorded if key not in answered]
if phantom:
    fail(f"{len(phantom)} call records the provider never answered, e.g. {phantom[0]}")
lost_total = sum(answered[key][2] for key in lost)
completed_leaves = {leaf for (leaf, _), record in recorded.items() if record.get("status", "ok") == "ok"}
# Jobs whose model call was made again because their worker was killed after the call and before the job was
# completed: the job came back, both calls were answered and recorded (and billed), attempt n and n + 1.
answered_ok = [leaf for (leaf, _), (_, status, _) in answered.items() if status == 200]
reruns = len(answered_ok) - len(set(answered_ok))
def money(value):
    return f"{Decimal(value) / 10**18:.18f}".rstrip("0").rstrip(".") if value else "0"

print(f"soak: provider answered {len(answered)} calls "
      f"({sum(1 for v in answered.values() if v[1] != 200)} transient errors), total ${money(provider_total)}")
print(f"soak: ledger: {sum(record_ids.values())} records ({len(recorded)} calls), {torn} torn lines; "
      f"audit: {report['records']} records, {report['duplicates']} duplicates, "
      f"{report['skipped_lines']} skipped lines, unknown ${report['classes']['unknown']}, "
      f"recorded_usd ${report['recorded_usd']}")
print(f"soak: {len(lost)} calls lost to kills between the provider's answer and the ledger's flush "
      f"(${money(lost_total)}); {reruns} jobs run again after a kill (both calls recorded and billed)")
print(f"soak: recorded ${money(recorded_usd)} + lost ${money(lost_total)} = ${money(recorded_usd + lost_total)}; "
      f"provider ${money(provider_total)}")
problems = []
if report["duplicates"] != 0:
    problems.append(f"{report['duplicates']} duplicates")
if unknown != 0:
    problems.append(f"unknown spend {report['classes']['unknown']}")
if any(count > 1 for count in record_ids.values()):
    problems.append("a record_id twice in the ledger")
if len(completed_leaves) != expected_jobs:
    problems.append(f"{len(completed_leaves)} jobs have a successful call, not {expected_jobs}")
if recorded_usd + lost_total != provider_total:
    problems.append("recorded + lost differs from the provider's total")
if problems:
    fail("; ".join(problems))
print(f"soak: passed ({time.monotonic() - started:.0f} s in all)")
EOF
