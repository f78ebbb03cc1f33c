#!/usr/bin/env python3
"""Sums the kernel durations of an Nsight Compute CSV report by kernel and by month.

Input: the output of
    ncu --metrics gpu__time_duration.sum --csv --print-units base phsim bench ... --json
(the program's own output and ncu's ==PROF== lines may be mixed in; they are skipped).
Each launch of the fused step (slot_kernel<StepMember>) starts a month: the kernels after it,
up to the next one, are that month's (births, then the year-end tally after December). Kernels
before the first step are the setup's.

Prints, in microseconds: the setup's kernels; each month's step kernel and the other kernels
of that month (and the step's active threads per warp, where the report has
smsp__thread_inst_executed_per_inst_executed.ratio); the total by kernel over the months. Standard library only (it runs on the GPU
machine's python3).
"""
import csv
import re
import sys
from collections import OrderedDict, defaultdict

DURATION = "gpu__time_duration.sum"
ACTIVE = "smsp__thread_inst_executed_per_inst_executed.ratio"  # active threads per warp


def short_name(name):
    """'void ns::slot_kernel<phsim::StepMember>(T1, unsigned long)' -> 'slot_kernel<StepMember>'."""
    name = re.sub(r"\(.*$", "", name.strip())  # drop the parameter list
    name = re.sub(r"^void\s+", "", name)
    depth, cut = 0, len(name)
    for i in range(len(name) - 1, -1, -1):  # the last '::' outside template brackets
        c = name[i]
        if c == ">":
            depth += 1
        elif c == "<":
            depth -= 1
        elif c == ":" and depth == 0 and i > 0 and name[i - 1] == ":":
            cut = i + 1
            break
    base = name[cut:] if cut < len(name) else name
    base = re.sub(r"\b(?:\w+::)+", "", base)  # namespaces inside template arguments
    ours = re.findall(r"phsim::(?:\w+::)*?([A-Z]\w*)", name)  # a phsim functor inside Thrust's agent
    if ours and ours[-1] not in base[:40]:
        return f"{base[:40]} [{ours[-1]}]"
    return base[:70]


def read_launches(path):
    """[(launch id, kernel name, nanoseconds)] in launch order."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    start = next((i for i, l in enumerate(lines)
                  if l.startswith('"ID",') and '"Kernel Name"' in l and '"Metric Value"' in l), None)
    if start is None:
        raise SystemExit(f"{path}: no Nsight Compute CSV header (\"ID\",\"Process ID\",...)")
    rows = [r for r in csv.reader(lines[start:]) if r]
    header = rows[0]
    col = {name: header.index(name) for name in ("ID", "Kernel Name", "Metric Name", "Metric Value")}
    by_launch = {}  # launch id -> [name, {metric: value}]
    for r in rows[1:]:
        if len(r) != len(header):
            continue
        try:
            value = float(r[col["Metric Value"]].replace(",", ""))
            launch = int(r[col["ID"]])
        except ValueError:
            continue
        entry = by_launch.setdefault(launch, [short_name(r[col["Kernel Name"]]), {}])
        entry[1][r[col["Metric Name"]]] = value
    return [(launch, name, metrics) for launch, (name, metrics) in sorted(by_launch.items())
            if DURATION in metrics]


def main(path):
    launches = read_launches(path)
    if not launches:
        raise SystemExit(f"{path}: no gpu__time_duration.sum rows")
    is_step = lambda name: "StepMember" in name  # noqa: E731
    setup = OrderedDict()
    months = []  # [(step ns, {other kernel: ns})]
    active = []  # the step's active threads per warp, month by month, when measured
    for _, name, metrics in launches:
        ns = metrics[DURATION]
        if is_step(name):
            months.append([ns, defaultdict(float)])
            if ACTIVE in metrics:
                active.append(metrics[ACTIVE])
        elif not months:
            setup[name] = setup.get(name, 0.0) + ns
        else:
            months[-1][1][name] += ns
    print(f"  kernel times from {path.rsplit('/', 1)[-1]}: {len(launches)} launches, {len(months)} months")
    print(f"  setup kernels: {sum(setup.values()) / 1e3:.0f} us in all")
    for name, ns in sorted(setup.items(), key=lambda kv: -kv[1])[:6]:
        print(f"    {ns / 1e3:10.1f} us  {name}")
    with_active = len(active) == len(months)
    print("  month  step kernel us  other kernels us" + ("  step's active threads/warp" if with_active else ""))
    for m, (step, other) in enumerate(months, 1):
        extra = f"  {active[m - 1]:27.2f}" if with_active else ""
        print(f"  {m:5d}  {step / 1e3:14.1f}  {sum(other.values()) / 1e3:16.1f}{extra}")
    totals = defaultdict(float)
    counts = defaultdict(int)
    for step, other in months:
        totals["slot_kernel<StepMember>"] += step
        counts["slot_kernel<StepMember>"] += 1
        for name, ns in other.items():
            totals[name] += ns
            counts[name] += 1
    all_ns = sum(totals.values())
    print(f"  over the months: {all_ns / 1e3:.0f} us of kernels")
    for name, ns in sorted(totals.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {ns / 1e3:10.1f} us  {100 * ns / all_ns:5.1f}%  x{counts[name]:<3d} {name}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: gpu_kernel_times.py NCU_CSV")
    main(sys.argv[1])
