#!/usr/bin/env python3
"""Writes the simulator's part of docs/results.md (between the markers simulator:begin and
simulator:end; the rest of the file is kept) and its figures (docs/sim-*.svg): the papers'
experiments executed on SimGrid by `convoy simulate`, and the 10,000-VM benchmark. scripts/results
runs it; alone:
    tests/bench/sim_results.py [BUILD_DIR] [--bench-strategies S,S,...] [--no-bench]
(--no-bench keeps the benchmark block already in docs/results.md.)
Needs build/bin/convoy, build/bin/sim_papers_test and build/bin/sim_bench. Python 3 alone.
"""
import datetime
import json
import math
import os
import subprocess
import sys
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
EXAMPLES = os.path.join(ROOT, "examples")
BEGIN = "<!-- simulator:begin (tests/bench/sim_results.py writes this part) -->"
END = "<!-- simulator:end -->"
SEED = 1
BASELINES = ["sequential", "parallel", "nova", "kubevirt", "proxmox", "convoy"]


def args():
    build, bench = os.path.join(ROOT, "build"), "convoy,nova,kubevirt,proxmox,sequential"
    rest = sys.argv[1:]
    while rest:
        a = rest.pop(0)
        if a == "--bench-strategies" and rest:
            bench = rest.pop(0)
        elif a == "--no-bench":
            bench = ""
        elif a.startswith("-"):
            sys.exit(f"sim_results: unknown option {a}\n{__doc__}")
        else:
            build = a
    return build, [b for b in bench.split(",") if b]


BUILD, BENCH_STRATEGIES = args()
CONVOY = os.path.join(BUILD, "bin", "convoy")


def simulate(name, strategies, extra=()):
    cmd = [CONVOY, "simulate", os.path.join(EXAMPLES, name), "--format", "json",
           "--seed", str(SEED)] + [x for s in strategies for x in ("-s", s)] + list(extra)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"sim_results: {' '.join(cmd)} failed: {out.stderr}")
    return {r["strategy"]: r for r in json.loads(out.stdout)["results"]}


def power_share(r):
    """Share of the completion time spent in boots and shutdowns; meaningful for the sequential
    run alone, where nothing overlaps them."""
    t = sum(p["end_s"] - p["start_s"] for p in r["trace"]["power"])
    return t / r["completion_s"] if r["completion_s"] else 0


def f1(x):
    return f"{x:.1f}"


# --- SVG -----------------------------------------------------------------------------------

def bars(path, title, subtitle, labels, series, unit, log=False, highlight=None):
    """Horizontal bars, one row per label, one bar per series [(legend, colour, values)]."""
    row_h, bar_h = 12 * len(series) + 10, 11
    left, right, top = 190, 90, 78
    width = 900
    height = top + row_h * len(labels) + 40
    values = [v for _, _, vs in series for v in vs if v and v > 0]
    vmax = max(values) if values else 1
    vmin = min(values) if values else 1
    lo = math.floor(math.log10(vmin)) if log else 0
    hi = math.ceil(math.log10(vmax)) if log else vmax
    if log and hi == lo:
        hi += 1

    def px(v):
        span = width - left - right
        if not v or v <= 0:
            return left
        if log:
            return left + (math.log10(v) - lo) / (hi - lo) * span
        return left + v / hi * span

    e = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
         f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
         f'<text x="16" y="26" font-size="16" font-weight="bold">{escape(title)}</text>',
         f'<text x="16" y="46" fill="#555">{escape(subtitle)}</text>']
    x = 16
    for legend, colour, _ in series:
        e.append(f'<rect x="{x}" y="56" width="12" height="12" fill="{colour}"/>')
        e.append(f'<text x="{x + 18}" y="66">{escape(legend)}</text>')
        x += 30 + 7 * len(legend)
    ticks = [10 ** k for k in range(lo, hi + 1)] if log else [hi * k / 4 for k in range(5)]
    for t in ticks:
        e.append(f'<line x1="{px(t):.1f}" y1="{top - 4}" x2="{px(t):.1f}" '
                 f'y2="{height - 36}" stroke="#ddd"/>')
        e.append(f'<text x="{px(t):.1f}" y="{height - 22}" text-anchor="middle" fill="#555">'
                 f'{t:g} {escape(unit)}</text>')
    for i, label in enumerate(labels):
        y0 = top + i * row_h
        weight = ' font-weight="bold"' if label == highlight else ""
        e.append(f'<text x="{left - 8}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end"{weight}>'
                 f'{escape(label)}</text>')
        for k, (legend, colour, vs) in enumerate(series):
            v = vs[i]
            y = y0 + 5 + k * 12
            if v is None:
                e.append(f'<text x="{left + 4}" y="{y + 9}" fill="#c0392b">did not run</text>')
                continue
            e.append(f'<rect x="{left}" y="{y}" width="{max(px(v) - left, 1):.1f}" '
                     f'height="{bar_h}" fill="{colour}"><title>{escape(label)}: {escape(legend)} '
                     f'{v:g} {escape(unit)}</title></rect>')
            e.append(f'<text x="{px(v) + 4:.1f}" y="{y + 9}" fill="#333">{v:.4g}</text>')
    e.append("</svg>\n")
    with open(path, "w") as f:
        f.write("\n".join(e))


# --- Sections --------------------------------------------------------------------------------

PAPER_T1 = {"blade-center-maintenance.yaml": ("Table 1, scenario 1", 2871, 12.2, 446, 192.9),
            "server-upgrade.yaml": ("Table 1, scenario 2", 3467, 11.2, 384, 158.0)}


def table1():
    lines = ["### Seed 000 Table 1: blade-center maintenance and server upgrade", "",
             "`convoy simulate examples/FILE --seed 1` (±10% variation of dirty rates, boot and "
             "shutdown times). The paper's energy column is in Wh, not kWh as printed (2098.4 "
             "\"kWh\" over 2871 s would be 2.6 MW); ours is kWh.", ""]
    figures = []
    for name, (table, seq_done, seq_mean, par_done, par_mean) in PAPER_T1.items():
        r = simulate(name, BASELINES)
        lines += [f"#### `{name}` ({table})", "",
                  "| strategy | completion s | mean migration s | stddev s | in boots and "
                  "shutdowns | energy kWh | peak kW | failed |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in BASELINES:
            x = r[s]
            share = f"{100 * power_share(x):.0f}%" if s == "sequential" else ""
            lines.append(f"| {s} | {f1(x['completion_s'])} | {f1(x['mean_migration_s'])} | "
                         f"{f1(x['stddev_migration_s'])} | {share} | "
                         f"{x['energy_kwh']:.3f} | {x['peak_power_kw']:.2f} | "
                         f"{len(x['failed'])} |")
        lines.append(f"| paper: sequential | {seq_done} | {seq_mean} | | | | | |")
        lines.append(f"| paper: parallel | {par_done} | {par_mean} | | | | | |")
        seq, par, con = r["sequential"], r["parallel"], r["convoy"]
        lines += ["", f"Parallel ends {seq['completion_s'] / par['completion_s']:.1f}x sooner "
                  f"than sequential (paper {seq_done / par_done:.1f}x) and its migrations last "
                  f"{par['mean_migration_s'] / seq['mean_migration_s']:.1f}x longer (paper "
                  f"{par_mean / seq_mean:.1f}x); sequential spends {100 * power_share(seq):.0f}% "
                  "of its time in boots and shutdowns (paper, scenario 1: 74.5%). Convoy: "
                  f"completion {con['completion_s'] / par['completion_s']:.2f}x parallel's "
                  f"(target: within 10%, at most 1.10x), mean migration "
                  f"{con['mean_migration_s'] / seq['mean_migration_s']:.2f}x sequential's "
                  "(target: at most 1.50x).", ""]
        figures.append((name, r))
    svg = os.path.join(DOCS, "sim-table1.svg")
    labels = [f"{n.split('.')[0]}: {s}" for n, _ in figures for s in BASELINES]
    bars(svg, "Seed 000 Table 1 simulated on SimGrid",
         "completion and mean migration duration, s (log scale)", labels,
         [("completion s", "#4e79a7", [r[s]["completion_s"] for _, r in figures for s in BASELINES]),
          ("mean migration s", "#f28e2b",
           [r[s]["mean_migration_s"] for _, r in figures for s in BASELINES])],
         "s", log=True)
    lines += ["![Table 1 simulated](sim-table1.svg)", ""]
    for name, strategy in (("blade-center-maintenance.yaml", "convoy"),
                           ("blade-center-maintenance.yaml", "parallel")):
        out = os.path.join(DOCS, f"sim-blade-center-{strategy}.svg")
        subprocess.run([CONVOY, "simulate", os.path.join(EXAMPLES, name), "-s", strategy,
                        "--seed", str(SEED), "--format", "svg", "-o", out], check=True)
        lines += [f"What happened with `{strategy}` on the blade-center "
                  f"(`convoy simulate examples/{name} -s {strategy} --format svg`): "
                  f"[sim-blade-center-{strategy}.svg](sim-blade-center-{strategy}.svg)", ""]
    return lines


PAPER_T23 = {"interlink-6.yaml": ("Table 2", [("A1 all parallel", 604, 284.2),
                                              ("A2 3 by 3", 213, 63.66),
                                              ("A3 3 by 3, dedicated members", 148, 50.62)]),
             "workload-3.yaml": ("Table 3", [("B1 4 per link", 94, 49.51),
                                             ("B2 2 per link", 31, 15.41),
                                             ("B3 1 per link", 31, 7.66)])}


def tables23():
    lines = ["### Seed 000 Tables 2 and 3: the level of parallelism", "",
             "Time spent to migrate (no boots here) and mean migration duration. The paper's "
             "scenarios map onto ours by their parallelism: A1/B1 = `parallel`; B2 (2 per link) "
             "≈ `kubevirt` (2 per node); B3 and A2 (one per server at a time) ≈ `nova`; A3 "
             "(each source paired with a destination on its own aggregate member) = `convoy`.", ""]
    for name, (table, paper) in PAPER_T23.items():
        r = simulate(name, BASELINES)
        lines += [f"#### `{name}` (seed 000 {table})", "",
                  "| strategy | time to migrate s | mean migration s | stddev s | energy kWh | "
                  "failed |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for s in BASELINES:
            x = r[s]
            lines.append(f"| {s} | {f1(x['completion_s'])} | {f1(x['mean_migration_s'])} | "
                         f"{f1(x['stddev_migration_s'])} | {x['energy_kwh']:.4f} | "
                         f"{len(x['failed'])} |")
        for label, done, mean in paper:
            lines.append(f"| paper: {label} | {done} | {mean} | | | |")
        par, con = r["parallel"], r["convoy"]
        lines += ["", f"From all-parallel to convoy: time to migrate "
                  f"{par['completion_s'] / con['completion_s']:.1f}x shorter (paper, "
                  f"{paper[0][0].split()[0]} to {paper[-1][0].split()[0]}: "
                  f"{paper[0][1] / paper[-1][1]:.1f}x), mean migration "
                  f"{par['mean_migration_s'] / con['mean_migration_s']:.1f}x shorter (paper "
                  f"{paper[0][2] / paper[-1][2]:.1f}x).", ""]
    return lines


PAPER_T5 = {2: (28, 3, 0, 0), 3: (84, 3, 0, 0), 4: (114, 3, 0, 0), 5: (109, 3, 0, 0),
            6: (222, "INF", 1, 2), 7: (287, "INF", 2, 2), 8: (288, "INF", 1, 2),
            9: (424, "INF", 9, 13)}
COMMA = ["sequential", "parallel", "comma-exact", "comma-heuristic"]


def impact_cell(x):
    return "INF" if x["failed"] else f1(x["impact_mb"])


def table5():
    lines = ["### Seed 001 Table 5: communication impact of multi-tier apps", "",
             "`convoy simulate examples/comma-tier-N.yaml -s sequential -s parallel -s "
             "comma-exact -s comma-heuristic`: impact (MB, eq. 1 on the simulated finish times). "
             "INF: some migration did not converge (it hit the round cap and was finished with "
             "its VM stopped). The COMMA strategies run as the plan stages them (stage 1 at the "
             "planned eq. 2 shares; then the valid groups in turn, each sharing the app's "
             "bandwidth evenly); `planned` is the planner's own prediction for comma-exact.", "",
             "| VMs | sequential | parallel | comma-exact | comma-heuristic | planned exact | "
             "exact vs sequential | paper seq | paper par | paper exact | paper heur |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = []
    for n in range(2, 13):
        name = f"comma-tier-{n}.yaml"
        if not os.path.exists(os.path.join(EXAMPLES, name)):
            continue
        r = simulate(name, COMMA)
        plan = json.loads(subprocess.run([CONVOY, "plan", os.path.join(EXAMPLES, name), "-s",
                                          "comma-exact", "--format", "json"],
                                         capture_output=True, text=True).stdout)
        p = PAPER_T5.get(n, ("", "", "", ""))
        ratio = (r["comma-exact"]["impact_mb"] / r["sequential"]["impact_mb"]
                 if r["sequential"]["impact_mb"] else 0)
        lines.append(f"| {n} | {impact_cell(r['sequential'])} | {impact_cell(r['parallel'])} | "
                     f"{impact_cell(r['comma-exact'])} | {impact_cell(r['comma-heuristic'])} | "
                     f"{f1(plan['impact_mb'])} | {100 * ratio:.0f}% | {p[0]} | {p[1]} | {p[2]} | "
                     f"{p[3]} |")
        rows.append((n, r))
    svg = os.path.join(DOCS, "sim-comma-impact.svg")
    bars(svg, "Seed 001 Table 5 simulated on SimGrid",
         "communication impact, MB (log scale; no bar: parallel did not converge)",
         [f"{n} VMs" for n, _ in rows],
         [(s, c, [None if r[s]["failed"] and s == "parallel" else max(r[s]["impact_mb"], 0.01)
                  for _, r in rows])
          for s, c in (("sequential", "#bab0ac"), ("parallel", "#f28e2b"),
                       ("comma-exact", "#4e79a7"), ("comma-heuristic", "#59a14f"))],
         "MB", log=True)
    lines += ["", "![Table 5 simulated](sim-comma-impact.svg)", ""]
    return lines


def orders():
    out = subprocess.run([os.path.join(BUILD, "bin", "sim_papers_test"),
                          "--gtest_filter=*Seed002*"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"sim_results: sim_papers_test failed:\n{out.stdout}{out.stderr}")
    lines = ["### Seed 002 Figures 2 and 3: the 24 orders of four VMs", "",
             "`build/bin/sim_papers_test --gtest_filter=*Seed002*` (tests/unit/sim_papers_test.cc): the VMs NO, M, C, NI of "
             "Table I leave one host one after another in each of the 24 orders, uncapped as "
             "QEMU runs them, all 24 side by side in one SimGrid run; total migration time. The "
             "test fails when the order solive picks is more than 5% above the best.", ""]
    for mode, fig in (("post-copy", "Fig. 3"), ("pre-copy", "Fig. 2")):
        data = []
        summary = ""
        for line in out.stdout.splitlines():
            words = line.split()
            if words[:2] == [mode, "order"]:
                data.append((words[2], float(words[4]), int(words[6])))
            elif words[:2] == [mode, "solive"]:
                summary = " ".join(words[1:])
        data.sort(key=lambda d: d[1])
        picked = summary.split()[1].rstrip(":") if summary else ""
        svg = os.path.join(DOCS, f"sim-orders-{mode}.svg")
        bars(svg, f"Seed 002 {fig} simulated on SimGrid ({mode})",
             f"total migration time of 4 VMs per order, s; bold: the order solive picks",
             [d[0] for d in data],
             [("total migration time s", "#4e79a7", [d[1] for d in data])], "s",
             highlight=picked)
        lines += [f"#### {mode} ({fig})", "", f"{summary}. Best five and worst two:", "",
                  "| order | total s | did not converge |", "| --- | ---: | ---: |"]
        for d in data[:5] + data[-2:]:
            lines.append(f"| {d[0]} | {d[1]:.1f} | {d[2]} |")
        lines += ["", f"![{mode} orders](sim-orders-{mode}.svg)", ""]
    lines += ["Paper: post-copy NO/M/C/NI and NO/C/M/NI lowest (about 53 s), NI/C/M/NO highest "
              "(116.39 s); pre-copy NO/M/C/NI lowest, NI/C/M/NO highest (about 2.5x).", ""]
    return lines


def accuracy():
    lines = ["### How far the plans' predictions are from the simulation", "",
             "prediction_mape: mean absolute percentage error of each planned migration duration "
             "against the simulated one (convoy strategy, `--seed 1`).", "",
             "| scenario | convoy completion s | planned makespan s | MAPE % | failed |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name in sorted(os.listdir(EXAMPLES)):
        if name == "demo-apps.yaml" or not name.endswith(".yaml"):
            continue
        r = simulate(name, ["convoy"])["convoy"]
        plan = json.loads(subprocess.run([CONVOY, "plan", os.path.join(EXAMPLES, name),
                                          "--format", "json"], capture_output=True,
                                         text=True).stdout)
        lines.append(f"| `{name}` | {f1(r['completion_s'])} | {f1(plan['makespan_s'])} | "
                     f"{r['prediction_mape']:.1f} | {len(r['failed'])} |")
    return lines + [""]


BENCH_TITLE = "### Simulating at scale"


def bench(old):
    if not BENCH_STRATEGIES:  # keep what the last full run measured
        if BENCH_TITLE in old:
            kept = old.split(BENCH_TITLE, 1)[1].split(END, 1)[0]
            return [BENCH_TITLE + kept.rstrip("\n"), ""]
        return [BENCH_TITLE, "", "(not run: tests/bench/sim_results.py --no-bench)", ""]
    cmd = [os.path.join(BUILD, "bin", "sim_bench")] + BENCH_STRATEGIES
    out = subprocess.run(cmd, capture_output=True, text=True)
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    return [BENCH_TITLE, "",
            f"`build/bin/sim_bench {' '.join(BENCH_STRATEGIES)}` (tests/bench/sim_bench.cc): "
            "10,000 VMs on 1,000 hosts evacuated onto 1,000 others (50 racks of 40 hosts, 10 Gb/s "
            "NICs, 4 x 10 Gb/s rack uplinks), planned then simulated, one strategy per engine run. "
            "Target: under 60 s of wall time. sim_cpu_s is the simulation process's CPU time; "
            f"the machine is the project's shared 2-core one (load average {load} when this ran).",
            "", "```", out.stdout.strip() or out.stderr.strip(), "```", ""]


def main():
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    lines = [BEGIN, "## Simulation on SimGrid (`convoy simulate`)", "",
             f"Generated by `tests/bench/sim_results.py` (run by `scripts/results`) on "
             f"{datetime.date.today()} (commit `{rev}`). How the simulator works: "
             "`docs/simulator.md`.", ""]
    path = os.path.join(DOCS, "results.md")
    old = open(path).read() if os.path.exists(path) else "# Results\n"
    lines += table1() + tables23() + table5() + orders() + accuracy() + bench(old) + [END]
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
    else:
        head, tail = old.rstrip("\n") + "\n\n", "\n"
    with open(path, "w") as f:
        f.write(head + "\n".join(lines) + tail)
    print("wrote the simulator part of docs/results.md")


if __name__ == "__main__":
    main()
