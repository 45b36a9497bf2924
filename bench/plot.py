#!/usr/bin/env python3
"""Draws the benchmark figures of docs/benchmarks.md from bench/measure.sh's JSON reports.

    python3 bench/plot.py [RESULTS_DIR] [OUT_DIR]

RESULTS_DIR (default docs/benchmarks/results) holds one folder per gateway count (1gw, 2gw, 3gw); the PNGs
go to OUT_DIR (default docs/benchmarks): latency against offered load, and gateway memory against
connections (each gateway process's growth, the `--many` run's included). Needs matplotlib (bench/plot.sh makes a virtualenv with it)."""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def report(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def main():
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/benchmarks/results")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks")
    out.mkdir(parents=True, exist_ok=True)
    runs = sorted(p for p in results.iterdir() if p.is_dir())

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in runs:
        data = report(run / "fanout.json")
        if not data:
            continue
        steps = data["fanout"]["steps"]
        rates = [s["offered_rate_per_sec"] for s in steps]
        for key, style in (("p50_us", "--"), ("p99_us", "-")):
            values = [s["latency"][key] / 1000 if s["latency"][key] else None for s in steps]
            ax.plot(rates, values, style, marker="o", label=f"{run.name} {key[:-3]}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offered messages per second into one 100-member channel")
    ax.set_ylabel("send-to-receive latency (ms)")
    ax.axhline(10, color="grey", linewidth=0.8)
    ax.axhline(100, color="grey", linewidth=0.8)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("Fan-out latency against offered load")
    fig.tight_layout()
    fig.savefig(out / "latency-vs-load.png", dpi=110)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = {"1gw": "o", "2gw": "s", "3gw": "^"}
    for run in runs:
        points = []
        for path in sorted(run.glob("connections-*.json")):
            data = report(path)
            if not data:
                continue
            for gateway in data["connections"]["gateways"]:
                if gateway["rss_after_kib"] is not None and gateway["rss_before_kib"] is not None:
                    growth = (gateway["rss_after_kib"] - gateway["rss_before_kib"]) / 1024
                    points.append((gateway["connections"], growth))
        # The --many run: each gateway-only process's growth while all held their share at
        # once (the first gateway is the all-in-one process, which also hashed the bench
        # users' passwords meanwhile, so its growth is not the connections').
        for path in sorted(run.glob("many-*.json")):
            data = report(path)
            if not data or not data.get("gateway_peak_rss_kib"):
                continue
            share = data["peak_connections"] / data["gateways"]
            pairs = zip(data["gateway_rss_before_kib"][1:], data["gateway_peak_rss_kib"][1:])
            for before, peak in pairs:
                points.append((share, (peak - before) / 1024))
        if points:
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                markers.get(run.name, "o"),
                label=f"{run.name} (each gateway process)",
            )
    xs = [300, 20000]
    ax.plot(xs, [x * 8 / 1024 for x in xs], color="grey", linewidth=0.8, label="8 KiB per connection")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("idle identified connections on the gateway")
    ax.set_ylabel("resident memory growth while holding them (MiB)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("Gateway memory against connections")
    fig.tight_layout()
    fig.savefig(out / "memory-vs-connections.png", dpi=110)
    print(f"plots in {out}")


if __name__ == "__main__":
    main()
