#!/usr/bin/env python3
"""Turns bench/run.sh's raw wrk output into the Markdown report (stdout). Called by run.sh; not meant to be run alone.

Every figure is a median over rounds. A ratio is computed per round from that round's back-to-back runs and then
summarised as median [min-max], so drift between rounds cancels out of the ratio but shows in its spread.
"""
import argparse
import csv
import re
import statistics
from collections import defaultdict

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
UNIT_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
SYSTEM_ORDER = ["varnish", "nginx", "nginx-gzip", "nginx-pass", "gateway", "ceiling-socket", "ceiling", "ceiling-routed"]
# The summary's columns: gateway ÷ each, per round. The last two only appear in rows that have them.
SUMMARY = ["varnish", "nginx", "ceiling-socket", "ceiling", "ceiling-routed", "nginx-gzip", "nginx-pass"]


def parse_wrk(path):
    text = open(path, encoding="utf-8", errors="replace").read()

    def latency(percent):
        m = re.search(rf"^\s+{percent}%\s+([0-9.]+)(us|ms|s|m|h)\s*$", text, re.M)
        return float(m.group(1)) * UNIT_MS[m.group(2)] if m else float("nan")

    rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    total = re.search(r"(\d+) requests in [0-9.]+\w+, ([0-9.]+)(B|KB|MB|GB|TB) read", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    requests = int(total.group(1)) if total else 0
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": latency(50),
        "p99": latency(99),
        "requests": requests,
        "bytes_per_response": float(total.group(2)) * UNIT_BYTES[total.group(3)] / requests if requests else 0.0,
        "errors": (sum(int(x) for x in socket.groups()) if socket else 0) + (int(non2xx.group(1)) if non2xx else 0),
    }


def fmt_ms(value):
    return "n/a" if value != value else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def fmt_bytes(value):
    for unit, size in (("MiB", 1024**2), ("KiB", 1024)):
        if value >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value:,.0f} B"


def fmt_ratio(values):
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def main():
    ap = argparse.ArgumentParser()
    for name in ("manifest", "memory", "alloc", "alloc-note", "checks", "command", "cache-mode", "duration", "rounds",
                 "connections", "threads", "load-before", "load-after", "others", "nginx-version", "dotnet-version",
                 "cpus", "raw", "foreign-cpu", "elapsed", "varnish-version"):
        ap.add_argument("--" + name, default="")
    a = ap.parse_args()

    runs = defaultdict(dict)            # (scenario, system) -> {round: result}
    scenarios = []
    with open(a.manifest, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            result = parse_wrk(row["file"])
            ticks = int(row["cpu_ticks"])
            result["cpu_us"] = ticks * 1_000_000 / int(row["clk_tck"]) / result["requests"] if result["requests"] else 0.0
            runs[(row["scenario"], row["system"])][int(row["round"])] = result
            if row["scenario"] not in scenarios:
                scenarios.append(row["scenario"])

    def systems_of(scenario):
        return sorted({s for (sc, s) in runs if sc == scenario}, key=SYSTEM_ORDER.index)

    def ratios(scenario, other, key="rps"):
        gateway, them = runs[(scenario, "gateway")], runs[(scenario, other)]
        return [gateway[r][key] / them[r][key] for r in sorted(gateway) if r in them and them[r][key] > 0]

    print("# Cache hits: gateway vs Varnish, nginx proxy_cache and bare Kestrel ceilings\n")
    print(f"- Command: `{a.command.strip()}`")
    print(f"- Machine: {a.cpus} CPUs, .NET SDK {a.dotnet_version}, {a.nginx_version}, {a.varnish_version}; everything (wrk included) on this machine, over 127.0.0.1")
    print(f"- Load: `wrk -t{a.threads} -c{a.connections} -d{a.duration}s --timeout 30s --latency`, same headers to every system "
          f"(`Authorization: Bearer <gateway team key>`, plus `Accept-Encoding: gzip` in the gzip scenarios); "
          f"{a.rounds} rounds, systems alternating within each scenario and rotating which goes first")
    print(f"- Gateway cache: {a.cache_mode}; Release build, Production environment, log level Warning")
    print(f"- Load average before / after: {a.load_before} / {a.load_after}"
          + (f"; **other benchmark or test processes were running at the start (pids {a.others.strip()})**" if a.others.strip() else ""))
    print(f"- CPU used by other processes (not this benchmark's servers, stand-in or wrk) during the measured rounds: "
          f"{a.foreign_cpu}% of the machine" + (" (**the figures are disturbed**)" if a.foreign_cpu and int(a.foreign_cpu) >= 5 else ""))
    print(f"- Whole run, build included: {int(a.elapsed or 0) // 60} min {int(a.elapsed or 0) % 60} s; raw wrk output: `{a.raw}`\n")
    print("Absolute figures drift 25–40% between runs on this machine; compare systems only within one run. "
          "req/s, p50 and p99 are medians over rounds; *gateway ÷ X* is req/s of the gateway over X, computed per round, "
          "shown as median [min–max]. CPU µs/req is the serving process's user+system CPU per request "
          "(nginx: master and workers), excluding wrk and the stand-in.\n")

    present_anywhere = {s for (_, s) in runs}
    columns = [s for s in SUMMARY if s in present_anywhere]
    print("## Summary: gateway req/s as a fraction of each system\n")
    print("`ceiling-socket` is bench/BareCeiling --Socket=true (below Kestrel's HTTP layer: one Socket.SendAsync of a head "
          "and the body per request, as the gateway's direct hits); `ceiling` is bench/BareCeiling (app.Run, inline "
          "scheduling, PipeWriter), the fastest through Kestrel's HTTP layer; `ceiling-routed` is bench/Ceiling "
          "(MapGet routing, default scheduling, Response.Body). p99 ÷ varnish is the gateway's p99 over Varnish's, per round.\n")
    print("| scenario | " + " | ".join(f"÷ {s}" for s in columns) + " | p99 ÷ varnish |")
    print("|---|" + "---|" * (len(columns) + 1))
    for scenario in scenarios:
        present = systems_of(scenario)
        cells = [fmt_ratio(ratios(scenario, s)) if s in present else "–" for s in columns]
        cells.append(fmt_ratio(ratios(scenario, "varnish", "p99")) if "varnish" in present else "–")
        print(f"| {scenario} | " + " | ".join(cells) + " |")
    print()

    for scenario in scenarios:
        print(f"## {scenario}\n")
        print("| system | req/s | p50 ms | p99 ms | bytes/response | CPU µs/req | errors | gateway ÷ this |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for system in systems_of(scenario):
            rs = list(runs[(scenario, system)].values())
            med = lambda key: statistics.median(r[key] for r in rs)
            ratio = "" if system == "gateway" else fmt_ratio(ratios(scenario, system))
            print(f"| {system} | {med('rps'):,.0f} | {fmt_ms(med('p50'))} | {fmt_ms(med('p99'))} | "
                  f"{fmt_bytes(med('bytes_per_response'))} | {med('cpu_us'):,.0f} | {sum(r['errors'] for r in rs)} | {ratio} |")
        print()

    print("## Memory\n")
    print("Peak resident set (VmHWM) at the end of the measured rounds, bodies for every size held in memory:\n")
    print("| process | peak RSS |")
    print("|---|---:|")
    with open(a.memory, encoding="utf-8") as f:
        for line in f:
            name, kib = line.rstrip("\n").split("\t")
            print(f"| {name} | {int(kib) / 1024:,.0f} MiB |")
    print()

    print("## Gateway allocations\n")
    if a.alloc_note:
        print(f"Allocation rate {a.alloc_note}.\n")
    else:
        print("One extra gateway run per scenario after the measured rounds, with the runtime's "
              "`dotnet.gc.heap.total_allocated` counter read from the gateway's `/metrics` just before and after it "
              "(the two scrapes' own allocations, tens of kilobytes, are included).\n")
        print("| scenario | req/s (allocation run) | allocated MB/s | allocated bytes/request |")
        print("|---|---:|---:|---:|")
        with open(a.alloc, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                result = parse_wrk(row["wrk"])
                if not row["before"] or not row["after"]:
                    print(f"| {row['scenario']} | {result['rps']:,.0f} | n/a | n/a (no counter in /metrics) |")
                    continue
                allocated = float(row["after"]) - float(row["before"])
                per_request = allocated / result["requests"] if result["requests"] else 0.0
                seconds = result["requests"] / result["rps"] if result["rps"] else 0.0
                rate = allocated / seconds / 1e6 if seconds else 0.0
                print(f"| {row['scenario']} | {result['rps']:,.0f} | {rate:,.0f} | {per_request:,.0f} |")
        print()

    print("## Checks before measuring\n")
    print(open(a.checks, encoding="utf-8").read().rstrip())


if __name__ == "__main__":
    main()
