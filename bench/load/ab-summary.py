"""Summary of bench/load/ab.sh: per measure, the median of A and B over the rounds, the median of the per-round
ratios B / A and their spread (min-max), and B's prompts/s as a share of /health/live in the same round."""
import csv
import statistics
import sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
live = {r: float(v) for r, v in (line.split("\t") for line in open(sys.argv[2]).read().split("\n") if line)}
by = {}
for row in rows:
    by.setdefault(row["round"], {})[row["build"]] = row

measures = [("prompts_per_s", "prompts/s"), ("service_us", "service CPU µs/prompt"),
            ("postgres_us", "PostgreSQL CPU µs/prompt"), ("wrk_us", "wrk CPU µs/prompt"), ("alloc_bytes", "allocated bytes/prompt"), ("p50_ms", "p50 ms"),
            ("p99_ms", "p99 ms")]
print(f"\n{len(by)} rounds; medians over rounds, and the median (min-max) of the per-round ratio B / A")
print(f"{'measure':28} {'A':>10} {'B':>10} {'B/A median':>11} {'spread':>15}")
for key, name in measures:
    # A missing reading ("-": a build without the runtime's meter) or an allocation reading of 0 (the metrics endpoint
    # answered the same total twice) leaves that round out of that measure.
    pairs = [(float(r["A"][key]), float(r["B"][key])) for r in by.values()
             if "A" in r and "B" in r and r["A"][key] not in ("-", "") and r["B"][key] not in ("-", "")
             and not (key == "alloc_bytes" and (float(r["A"][key]) == 0 or float(r["B"][key]) == 0))]
    if not pairs:
        print(f"{name:28} {'-':>10} {'-':>10}")
        continue
    ratios = [b / a for a, b in pairs if a > 0]
    a_med = statistics.median(a for a, _ in pairs)
    b_med = statistics.median(b for _, b in pairs)
    spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"
    med = f"{statistics.median(ratios):.3f}" if ratios else "-"
    print(f"{name:28} {a_med:>10.0f} {b_med:>10.0f} {med:>11} {spread:>15}")
shares = [float(by[r]["B"]["prompts_per_s"]) / live[r] for r in by if r in live and live[r] > 0 and "B" in by[r]]
if shares:
    print(f"B's prompts/s / /health/live (same round): median {statistics.median(shares):.3f} "
          f"({min(shares):.3f}-{max(shares):.3f}); /health/live median {statistics.median(live.values()):.0f} req/s")
