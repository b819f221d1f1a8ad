#!/usr/bin/env python3
"""Backtest of `cost-audit forecast` (docs/forecast.md): the mean absolute percentage error of month-end
projections made on the 10th and the 20th of past months, against the months' reconciled totals.

    python3 Benchmarks/scripts/forecast_backtest.py .build/release/cost-audit 2026-09,2026-10,2026-11 team \
        --config /tmp/fc-demo/cost-audit.json

The arguments after the dimension are the audit's inputs. Also counts how often the 80% interval of the
total, and of each group, holds the month's actual spend.
"""
import json, subprocess, sys
tool, months, by = sys.argv[1], sys.argv[2].split(","), (sys.argv[3] if len(sys.argv) > 3 else "")
inputs = sys.argv[4:]
def run(*args):
    out = subprocess.run([tool, *args, *inputs, "--quiet", "--format", "json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
errors, inside, groups_in, groups_n = [], 0, 0, 0
for month in months:
    y, m = map(int, month.split("-"))
    nxt = f"{y + (m == 12):04d}-{m % 12 + 1:02d}-01"
    actual_report = run("report", "--by", by or "team", "--since", f"{month}-01", "--until", nxt)
    actual_total = float(actual_report["total_usd"])
    actual_groups = {tuple(g[d] for d in actual_report["by"]): float(g["spend_usd"]) for g in actual_report["groups"]}
    for day in ("10", "20"):
        args = ["forecast", "--month", month, "--now", f"{month}-{day}"] + (["--by", by] if by else [])
        f = run(*args)
        p, lo, hi = float(f["total"]["projected_usd"]), float(f["total"]["low_usd"]), float(f["total"]["high_usd"])
        err = abs(p - actual_total) / actual_total
        errors.append(err)
        inside += lo <= actual_total <= hi
        for g in f["groups"]:
            key = tuple(g[d] for d in f["by"])
            a = actual_groups.get(key, 0.0)
            groups_n += 1
            groups_in += float(g["low_usd"]) - 0.005 <= a <= float(g["high_usd"]) + 0.005
        print(f"{month}-{day}: actual {actual_total:10.2f} projected {p:10.2f} [{lo:.2f}, {hi:.2f}] error {100*err:5.1f}%")
print(f"MAPE {100*sum(errors)/len(errors):.1f}% over {len(errors)} projections; total inside interval {inside}/{len(errors)}; groups inside {groups_in}/{groups_n}")
