#!/usr/bin/python3
"""phsim report: figures, an HTML page and the plotted numbers from a phsim results file.

Usage: phsim report RESULTS.h5 --out DIR [--base NAME] [--scenario NAME] [--measure ID]
                    [--min-denominator N] [--min-group-denominator N] [--max-plans N]
                    [--figures LIST] [--dpi N] [--data DIR] [--force]

`phsim report` (tools/cli.cpp) runs this script with Debian's /usr/bin/python3 (h5py, numpy,
matplotlib). It writes into DIR: one PNG per figure, index.html (relative links) and
summary.json (every plotted number, for checks and further use). docs/REPORTS.md describes each
figure and how it is computed. Errors print one line, `phsim: error: ...`, and exit with
status 1 (2 for command-line usage errors).

Intervals everywhere are the 2.5 and 97.5 percentiles over replicates (linear interpolation);
the central value is the median over replicates. Rates are aggregated before they are divided:
a statewide (plan, county, group) rate is the sum of numerators over the cells it covers
divided by the sum of their denominators, per replicate.
"""
import argparse
import csv
import html
import json
import math
import sys
import textwrap
import warnings
from pathlib import Path

EXIT_ERROR = 1
EXIT_USAGE = 2


class ReportError(Exception):
    """A problem with the input or the options; printed as one line."""


def fail(message, status=EXIT_ERROR):
    print(f"phsim: error: {message}", file=sys.stderr)
    sys.exit(status)


MISSING_MODULE = ("report: Python module '{}' is missing; install python3-numpy, python3-h5py "
                  "and python3-matplotlib (tools/setup does)")

try:
    import numpy as np
    import h5py
except ImportError as e:  # depends on the machine
    fail(MISSING_MODULE.format(e.name))

# matplotlib is imported once the input has been read (load_matplotlib): errors in the input
# are reported without paying for it.
plt = Line2D = Patch = MaxNLocator = None

LOW_PERCENTILE, HIGH_PERCENTILE = 2.5, 97.5
INTERVAL_TEXT = "2.5–97.5 percentiles over replicates"

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442"]
BENCHMARK_COLOR = "#444444"
MPL_STYLE = dict(color=BENCHMARK_COLOR, linestyle="--", linewidth=1.0)
HPL_STYLE = dict(color=BENCHMARK_COLOR, linestyle=":", linewidth=1.3)

GROUP_LABELS = {
    "hispanic": "Hispanic",
    "white": "White",
    "black": "Black",
    "asian_pacific_islander": "Asian/Pacific Islander",
    "american_indian_alaska_native": "American Indian/Alaska Native",
    "other_unknown": "Other/unknown",
}

GROUP_SHORT = {
    "hispanic": "Hispanic",
    "white": "White",
    "black": "Black",
    "asian_pacific_islander": "Asian/PI",
    "american_indian_alaska_native": "AI/AN",
    "other_unknown": "Other",
}

SRYCP = ("scenario", "replicate", "year", "county", "plan")
SRYCPM = SRYCP + ("measure",)
SRYCMG = ("scenario", "replicate", "year", "county", "measure", "group")

# Money components of payments_by_plan: variable, label, colour, sign as seen by the plan.
QUALITY_MONEY = [
    ("withhold_usd", "withhold", "#D55E00", -1),
    ("sanction_usd", "sanction", "#CC79A7", -1),
    ("withhold_returned_usd", "withhold returned", "#0072B2", +1),
    ("incentive_usd", "incentive", "#009E73", +1),
]
PROGRAM_MONEY = [
    ("intervention_cost_usd", "intervention cost", "#E69F00"),
    ("practice_incentive_usd", "practice incentive", "#56B4E9"),
]

RC_PARAMS = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "savefig.facecolor": "white",
}


def load_matplotlib():
    """Imports matplotlib with the Agg backend and sets the report's style."""
    global plt, Line2D, Patch, MaxNLocator
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import MaxNLocator
    except ImportError as e:  # depends on the machine
        raise ReportError(MISSING_MODULE.format(e.name)) from None
    plt.rcParams.update(RC_PARAMS)


# ------------------------------------------------------------------------------------ reading

def _text(values):
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _attr(obj, name, default=None):
    if name not in obj.attrs:
        return default
    v = obj.attrs[name]
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.generic):
        return v.item()
    return v


def _read_measure_csv(data_dir):
    """Rows of DATA/measures.csv keyed by measure id (empty when the file is absent)."""
    path = Path(data_dir) / "measures.csv"
    if not path.is_file():
        return {}, path
    with open(path, newline="", encoding="utf-8") as f:
        return {row["measure_id"]: row for row in csv.DictReader(f)}, path


def _csv_number(text):
    text = (text or "").strip()
    return float(text) if text else math.nan


class Results:
    """The parts of a results file the report needs, as numpy arrays in file order."""

    def __init__(self, path, data_dir):
        self.path = Path(path)
        self.notes = []
        if not self.path.exists():
            raise ReportError(f"{path}: no such file")
        try:
            f = h5py.File(self.path, "r")
        except OSError as e:
            reason = str(e)
            if "(" in reason and reason.endswith(")"):
                reason = reason[reason.rfind("(") + 1:-1]
            raise ReportError(f"{path}: not a readable HDF5 file ({reason})") from None
        try:
            with f:
                self._read(f, data_dir)
        except ReportError:
            raise
        except (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError) as e:
            raise ReportError(f"{path}: damaged or not a phsim results file ({e})") from None

    def _dims_of(self, f, name):
        """Names of the dimension scales attached to each axis of `name`."""
        out = []
        for d in f[name].dims:
            names = d.keys()
            out.append(names[0] if len(names) == 1 else (d.label or "?"))
        return tuple(out)

    def _variable(self, f, name, dims, required=True):
        if name not in f:
            if required:
                raise ReportError(f"{self.path}: not a phsim results file: no variable '{name}'")
            return None
        got = self._dims_of(f, name)
        if got != dims:
            raise ReportError(f"{self.path}: variable '{name}' has dimensions ({', '.join(got)}); "
                              f"expected ({', '.join(dims)})")
        shape = tuple(self.sizes[d] for d in dims)
        data = f[name][...]
        if data.shape != shape:
            raise ReportError(f"{self.path}: variable '{name}' has shape {data.shape}; its "
                              f"dimensions say {shape}")
        return data

    def _read(self, f, data_dir):
        for d in ("scenario", "replicate", "year", "county", "plan", "measure"):
            if d not in f:
                raise ReportError(f"{self.path}: not a phsim results file: no dimension '{d}'")
        self.scenarios = _text(f["scenario"][...])
        self.replicates = [int(x) for x in f["replicate"][...]]
        self.years = [int(x) for x in f["year"][...]]
        self.counties = _text(f["county"][...])
        self.plans = _text(f["plan"][...])
        self.measures = _text(f["measure"][...])
        self.groups = _text(f["group"][...]) if "group" in f else []
        self.sizes = {"scenario": len(self.scenarios), "replicate": len(self.replicates),
                      "year": len(self.years), "county": len(self.counties),
                      "plan": len(self.plans), "measure": len(self.measures),
                      "group": len(self.groups)}
        for d in ("scenario", "replicate", "year", "measure"):
            if self.sizes[d] == 0:
                raise ReportError(f"{self.path}: dimension '{d}' is empty")

        self.attrs = {k: _attr(f, k) for k in f.attrs}
        self._read_benchmarks(f["measure"], data_dir)

        self.numerator = self._variable(f, "measure_numerator", SRYCPM)
        self.denominator = self._variable(f, "measure_denominator", SRYCPM)
        if (self.denominator < 0).any() or (self.numerator < 0).any():
            raise ReportError(f"{self.path}: negative measure numerators or denominators")
        if (self.numerator > self.denominator).any():
            raise ReportError(f"{self.path}: a measure numerator exceeds its denominator")

        optional = {}
        for name in ["enrollment_member_months", "default_assigned_members", "capitation_usd"] + \
                [m[0] for m in QUALITY_MONEY] + [m[0] for m in PROGRAM_MONEY]:
            optional[name] = self._variable(f, name, SRYCP, required=False)
        self.money = {k: v for k, v in optional.items() if k.endswith("_usd") and v is not None}
        self.member_months = optional["enrollment_member_months"]
        self.default_assigned = optional["default_assigned_members"]
        self.group_numerator = self.group_denominator = None
        if self.groups:
            self.group_numerator = self._variable(f, "measure_group_numerator", SRYCMG,
                                                  required=False)
            self.group_denominator = self._variable(f, "measure_group_denominator", SRYCMG,
                                                    required=False)

    def _read_benchmarks(self, measure_scale, data_dir):
        """MPL, HPL, inverse and held flags: measure attributes, else DATA/measures.csv."""
        keys = ("inverse", "held_to_mpl", "mpl_percent", "hpl_percent")
        rows, csv_path = _read_measure_csv(data_dir)
        self.measure_names = {m: rows[m].get("name", "") for m in self.measures if m in rows}
        if all(k in measure_scale.attrs for k in keys):
            n = len(self.measures)
            values = {k: np.asarray(measure_scale.attrs[k]).reshape(-1) for k in keys}
            for k, v in values.items():
                if v.size != n:
                    raise ReportError(f"{self.path}: measure attribute '{k}' has {v.size} "
                                      f"values for {n} measures")
            self.inverse = values["inverse"].astype(bool)
            self.held = values["held_to_mpl"].astype(bool)
            self.mpl = values["mpl_percent"].astype(float)
            self.hpl = values["hpl_percent"].astype(float)
            self.benchmarks_from = "the results file (attributes of the measure dimension)"
            return
        if not rows:
            raise ReportError(f"{self.path}: the measure dimension has no MPL/HPL attributes "
                              f"and {csv_path} does not exist (use --data DIR)")
        missing = [m for m in self.measures if m not in rows]
        if missing:
            raise ReportError(f"{csv_path}: no row for measure '{missing[0]}' of {self.path}")
        self.inverse = np.array([rows[m]["inverse"].strip().lower() == "true"
                                 for m in self.measures])
        self.held = np.array([rows[m]["held_to_mpl"].strip().lower() == "true"
                              for m in self.measures])
        self.mpl = np.array([_csv_number(rows[m]["mpl_percent"]) for m in self.measures])
        self.hpl = np.array([_csv_number(rows[m]["hpl_percent"]) for m in self.measures])
        self.benchmarks_from = str(csv_path)
        self.notes.append(f"MPL/HPL benchmarks are not in the results file; read from "
                          f"{csv_path}.")


# ---------------------------------------------------------------------------- arithmetic

def ratio(num, den):
    """num / den as float, NaN where den is 0."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def summarize(x, axis):
    """(median, low, high) over `axis`, ignoring NaN; NaN where every value is NaN.

    Percentiles use linear interpolation between order statistics (numpy's default method):
    the q-th percentile of n values sits at position q/100 × (n − 1) of the sorted values.
    """
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    ordered = np.sort(x, axis=-1)  # NaN sort last
    n = np.sum(~np.isnan(x), axis=-1)
    out = []
    for q in (50.0, LOW_PERCENTILE, HIGH_PERCENTILE):
        position = np.maximum(n - 1, 0) * (q / 100.0)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(n - 1, 0))
        a = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
        fraction = position - below
        with np.errstate(invalid="ignore"):
            value = np.where(fraction > 0, a + (b - a) * fraction, a)
        out.append(np.where(n > 0, value, np.nan))
    return tuple(out)


def nanmedian(x, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=axis)


def jnum(x):
    """A JSON number at full precision (None for NaN)."""
    x = float(x)
    return x if math.isfinite(x) else None


def stat(median, low, high):
    return {"median": jnum(median), "low": jnum(low), "high": jnum(high)}


# ------------------------------------------------------------------------------- labels

def short_plan(name, width=30):
    """Plan name without its parenthetical, wrapped to at most two lines."""
    base = name.split(" (")[0].strip()
    lines = textwrap.wrap(base, width)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


def measure_label(results, m, long=False):
    mid = results.measures[m]
    if results.inverse[m]:
        return f"{mid} (lower is better)" if long else f"{mid} ↓"
    return mid


def scenario_colors(results):
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(results.scenarios)}


def fmt_pct(x, digits=1):
    return "–" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def legend_below(fig, handles, ncol, suptitle=False):
    """A legend centred under the axes; the axes are laid out above it (and below the
    figure title when `suptitle`: tight_layout leaves no room for one)."""
    rows = math.ceil(len(handles) / ncol)
    height = (0.24 * rows + 0.12) / fig.get_figheight()
    fig.legend(handles=handles, loc="lower center", ncol=ncol, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    top = 1 - 0.32 / fig.get_figheight() if suptitle else 1
    fig.tight_layout(rect=(0, height, 1, top))


def year_ticks(ax, years):
    """Whole years on the x axis: every year when there are few, else a few of them."""
    if len(years) <= 6:
        ax.set_xticks(years)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    if len(years) == 1:
        ax.set_xlim(years[0] - 0.6, years[0] + 0.6)


def panel_grid(nrows, ncols, panel, margins, gaps):
    """Small multiples with a fixed layout (faster than tight_layout over many axes).

    panel = (width, height) of one axes, margins = (left, right, top, bottom) and
    gaps = (between columns, between rows), all in inches."""
    (pw, ph), (left, right, top, bottom), (wgap, hgap) = panel, margins, gaps
    width = left + ncols * pw + (ncols - 1) * wgap + right
    height = top + nrows * ph + (nrows - 1) * hgap + bottom
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height, wspace=wgap / pw, hspace=hgap / ph)
    return fig, axes


def shade_rows(ax, n):
    """Alternate grey bands behind the rows of a dot chart."""
    for i in range(0, n, 2):
        ax.axhspan(i - 0.5, i + 0.5, color="#f3f3f3", zorder=0, linewidth=0)
    ax.grid(axis="y", visible=False)
    ax.set_ylim(n - 0.5, -0.5)


# ------------------------------------------------------------------------------ figures

class Report:
    def __init__(self, results, args):
        self.r = results
        self.args = args
        self.out = Path(args.out)
        self.colors = scenario_colors(results)
        self.summary = {}
        self.figures = []  # (file or None when not drawn, title, caption text)
        self.notes = list(results.notes)
        r = results
        self.base = self._scenario_index(args.base or r.scenarios[0], "--base")
        self.single = self._scenario_index(args.scenario or r.scenarios[self.base], "--scenario")
        self.first, self.last = 0, len(r.years) - 1

        # Statewide rate per scenario, replicate, year and measure (S, R, Y, M).
        self.state_num = r.numerator.sum(axis=(3, 4))
        self.state_den = r.denominator.sum(axis=(3, 4))
        self.state_rate = ratio(self.state_num, self.state_den)
        zero = self.state_den.sum(axis=(0, 1, 2)) == 0
        self.kept = [m for m in range(len(r.measures)) if not zero[m]]
        self.skipped = [r.measures[m] for m in range(len(r.measures)) if zero[m]]
        for mid in self.skipped:
            self.notes.append(f"Measure {mid} is skipped: its statewide denominator is 0 in "
                              "every scenario, replicate and year.")
        partial = [r.measures[m] for m in self.kept
                   if (self.state_den[..., m] == 0).any()]
        if partial:
            self.notes.append("Statewide denominator 0 in some scenario/replicate/year for "
                              f"{', '.join(partial)}: those replicates are left out of the "
                              "medians and intervals there.")
        if not self.kept:
            raise ReportError(f"{r.path}: every measure has a statewide denominator of 0")
        self.measure = self._chosen_measure(args.measure)

    def _scenario_index(self, name, flag):
        if name not in self.r.scenarios:
            raise ReportError(f"{flag} {name}: no such scenario in {self.r.path} (scenarios: "
                              f"{', '.join(self.r.scenarios)})")
        return self.r.scenarios.index(name)

    def _chosen_measure(self, mid):
        r = self.r
        if mid is not None:
            if mid not in r.measures:
                raise ReportError(f"--measure {mid}: no such measure in {r.path} (measures: "
                                  f"{', '.join(r.measures)})")
            m = r.measures.index(mid)
            if m not in self.kept:
                raise ReportError(f"--measure {mid}: its statewide denominator is 0 everywhere")
            return m
        held = [m for m in self.kept if r.held[m]]
        return (held or self.kept)[0]

    # -- helpers

    def run_facts(self):
        a = self.r.attrs
        return {
            "version": a.get("phsim_version", "unknown"),
            "git": a.get("git_describe", ""),
            "seed": a.get("seed", "unknown"),
            "members": a.get("members", "unknown"),
            "replicates": len(self.r.replicates),
        }

    def provenance(self):
        f = self.run_facts()
        return (f"phsim {f['version']}, seed {f['seed']}, {f['replicates']} replicates, "
                f"{f['members']} members")

    def save(self, fig, name, title, caption):
        path = self.out / name
        fig.savefig(path, dpi=self.args.dpi)
        plt.close(fig)
        self.figures.append((name, title, f"{caption} Run: {self.provenance()}."))

    def skip_figure(self, name, title, reason):
        self.notes.append(f"{title} ({name}) is not drawn: {reason}")
        self.figures.append((None, title, reason))

    def benchmark_handles(self):
        return [Line2D([], [], **MPL_STYLE, label="MPL (50th percentile)"),
                Line2D([], [], **HPL_STYLE, label="HPL (90th percentile)")]

    # -- 1. statewide rates

    def rates_statewide(self):
        r = self.r
        med, low, high = (x * 100 for x in summarize(self.state_rate, axis=1))  # (S, Y, M)
        rows = []
        for s, scen in enumerate(r.scenarios):
            for y, year in enumerate(r.years):
                for m in self.kept:
                    reps = self.state_rate[s, :, y, m] * 100
                    rows.append({"scenario": scen, "measure": r.measures[m], "year": year,
                                 "numerator": [int(v) for v in self.state_num[s, :, y, m]],
                                 "denominator": [int(v) for v in self.state_den[s, :, y, m]],
                                 "replicates_percent": [jnum(v) for v in reps],
                                 **{k + "_percent": v for k, v in
                                    stat(med[s, y, m], low[s, y, m], high[s, y, m]).items()}})
        self.summary["rates_statewide"] = rows

        n = len(self.kept)
        ncols = min(5, n)
        nrows = math.ceil(n / ncols)
        fig, axes = panel_grid(nrows, ncols, (2.5, 1.7), (0.65, 0.15, 1.0, 0.35), (0.55, 0.6))
        years = np.array(r.years)
        for k, m in enumerate(self.kept):
            ax = axes[k // ncols][k % ncols]
            for s, scen in enumerate(r.scenarios):
                c = self.colors[scen]
                if len(years) > 1:
                    # Thinner lines over thicker ones: scenarios that coincide stay visible.
                    ax.fill_between(years, low[s, :, m], high[s, :, m], color=c, alpha=0.15,
                                    linewidth=0)
                    ax.plot(years, med[s, :, m], color=c, marker=MARKERS[s % len(MARKERS)],
                            markersize=max(2.5, 5 - s), linewidth=max(0.9, 2.8 - 0.7 * s))
                else:
                    ax.errorbar(years + 0.1 * (s - (len(r.scenarios) - 1) / 2), med[s, :, m],
                                yerr=[med[s, :, m] - low[s, :, m], high[s, :, m] - med[s, :, m]],
                                color=c, fmt="o", markersize=4, capsize=2)
            if math.isfinite(r.mpl[m]):
                ax.axhline(r.mpl[m], **MPL_STYLE)
            if math.isfinite(r.hpl[m]):
                ax.axhline(r.hpl[m], **HPL_STYLE)
            ax.set_title(measure_label(r, m, long=True))
            year_ticks(ax, years)
            if k % ncols == 0:
                ax.set_ylabel("rate (%)")
        for k in range(n, nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        handles = [Line2D([], [], color=self.colors[sc], marker=MARKERS[s % len(MARKERS)],
                          markersize=4, linewidth=max(0.9, 2.8 - 0.7 * s), label=sc)
                   for s, sc in enumerate(r.scenarios)]
        handles.append(Patch(color="#888888", alpha=0.3, label=f"{INTERVAL_TEXT}"))
        handles += self.benchmark_handles()
        height = fig.get_figheight()
        fig.suptitle(f"Statewide rate by measure and year (median over replicates) — "
                     f"{self.provenance()}", fontsize=11, y=1 - 0.12 / height, va="top")
        fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), 6),
                   bbox_to_anchor=(0.5, 1 - 0.4 / height), frameon=False)
        self.save(fig, "rates_statewide.png", "Statewide rates",
                  f"Statewide rate of each measure by year: the sum of numerators over every "
                  f"county and plan divided by the sum of denominators, per replicate; lines "
                  f"are medians over replicates and bands the {INTERVAL_TEXT}, one colour per "
                  f"scenario ({', '.join(r.scenarios)}). Dashed: MPL (minimum performance "
                  f"level); dotted: HPL (high performance level). Measures marked “lower is "
                  f"better” are inverse. Non-held measures have no MPL/HPL. Each panel has its "
                  f"own vertical scale.")

    # -- 2 and 6. dot charts of the chosen measure by plan and by county

    def _unit_dot_chart(self, kind, num, den, labels, full_names, file, title):
        """Last-year rate of the chosen measure per unit (plan or county), all scenarios."""
        r, m, L = self.r, self.measure, self.last
        rate = ratio(num, den) * 100  # (S, R, Y, U, M)
        med, low, high = summarize(rate, axis=1)  # (S, Y, U, M)
        den_base = nanmedian(den[self.base, :, L, :, m].astype(float), axis=0)  # (U,)
        shown = [u for u in range(len(labels)) if den_base[u] >= self.args.min_denominator]
        left_out = len(labels) - len(shown)
        rows = []
        for s, scen in enumerate(r.scenarios):
            for u in range(len(labels)):
                for y in sorted({self.first, L}):
                    rows.append({"scenario": scen, "measure": r.measures[m],
                                 "year": r.years[y], kind: full_names[u],
                                 "denominator_median": jnum(nanmedian(
                                     den[s, :, y, u, m].astype(float), axis=0)),
                                 "shown": u in shown,
                                 **{k + "_percent": v for k, v in
                                    stat(med[s, y, u, m], low[s, y, u, m],
                                         high[s, y, u, m]).items()}})
        self.summary[file[:-4]] = rows
        if not shown:
            self.skip_figure(file, title, f"no {kind} has a median {r.years[L]} denominator of "
                             f"at least {self.args.min_denominator} for {r.measures[m]}")
            return
        # Best at the top: sort by the base scenario's median (higher first unless inverse).
        key = med[self.base, L, shown, m] * (1.0 if r.inverse[m] else -1.0)
        shown = [shown[i] for i in np.argsort(np.where(np.isnan(key), np.inf, key),
                                                kind="stable")]
        n = len(shown)
        ns = len(r.scenarios)
        first_too = L != self.first
        slots = ns + (1 if first_too else 0)
        # Long lists (counties) run in two columns, best first down the left one.
        ncols = 2 if n > 30 else 1
        per_col = math.ceil(n / ncols)
        row_h = 0.075 * slots + 0.1
        fig, axes = plt.subplots(1, ncols, squeeze=False,
                                 figsize=(8.6 if ncols == 1 else 12.5,
                                          max(3.4, row_h * per_col + 1.9)))
        step = min(0.2, 0.76 / slots)
        offsets = [(i - (slots - 1) / 2) * step for i in range(slots)]
        lo_x = np.nanmin([np.nanmin(low[:, L, shown, m]), r.mpl[m], r.hpl[m],
                          np.nanmin(med[self.base, self.first, shown, m])])
        hi_x = np.nanmax([np.nanmax(high[:, L, shown, m]), r.mpl[m], r.hpl[m],
                          np.nanmax(med[self.base, self.first, shown, m])])
        pad = 0.04 * (hi_x - lo_x if hi_x > lo_x else 1.0)
        for c in range(ncols):
            ax = axes[0][c]
            part = shown[c * per_col:(c + 1) * per_col]
            ypos = np.arange(len(part))
            if first_too:
                ax.plot(med[self.base, self.first, part, m], ypos + offsets[0],
                        linestyle="none", marker="o", markerfacecolor="white",
                        markeredgecolor="#666666", markersize=4.5)
            for s, scen in enumerate(r.scenarios):
                x = med[s, L, part, m]
                ax.errorbar(x, ypos + offsets[s + (1 if first_too else 0)],
                            xerr=[x - low[s, L, part, m], high[s, L, part, m] - x],
                            fmt=MARKERS[s % len(MARKERS)], color=self.colors[scen],
                            markersize=4, elinewidth=1.2)
            if math.isfinite(r.mpl[m]):
                ax.axvline(r.mpl[m], **MPL_STYLE)
            if math.isfinite(r.hpl[m]):
                ax.axvline(r.hpl[m], **HPL_STYLE)
            ax.set_yticks(ypos, [labels[u] for u in part])
            shade_rows(ax, per_col)
            ax.set_xlim(lo_x - pad, hi_x + pad)
            ax.set_xlabel(f"{measure_label(r, m, long=True)} rate (%),\nmedian and "
                          f"{INTERVAL_TEXT}")
        handles = []
        if first_too:
            handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                                  markeredgecolor="#666666", markersize=5,
                                  label=f"{r.scenarios[self.base]} {r.years[self.first]}"))
        handles += [Line2D([], [], marker=MARKERS[s % len(MARKERS)], color=self.colors[scen],
                           markersize=5, label=f"{scen} {r.years[L]}")
                    for s, scen in enumerate(r.scenarios)]
        if math.isfinite(r.mpl[m]):
            handles.append(Line2D([], [], **MPL_STYLE, label="MPL"))
        if math.isfinite(r.hpl[m]):
            handles.append(Line2D([], [], **HPL_STYLE, label="HPL"))
        fig.suptitle(f"{r.measures[m]} by {kind}, {r.years[L]}"
                     f"{' (lower is better)' if r.inverse[m] else ''} — {self.provenance()}",
                     fontsize=10.5)
        legend_below(fig, handles, min(len(handles), 6), suptitle=True)
        plural = {"plan": "plans", "county": "counties"}[kind]
        note = (f" {left_out} {kind if left_out == 1 else plural} with a "
                f"median {r.years[L]} denominator below {self.args.min_denominator} "
                f"{'is' if left_out == 1 else 'are'} left out." if left_out else "")
        caption = (f"{r.measures[m]} rate by {kind} in {r.years[L]}: numerators over denominators "
                   f"summed over the {kind}'s {'counties' if kind == 'plan' else 'plans'}, per "
                   f"replicate; dots are medians and bars the {INTERVAL_TEXT}, one colour per "
                   f"scenario ({', '.join(r.scenarios)})"
                   + (f"; hollow grey circles: {r.scenarios[self.base]} in {r.years[self.first]}"
                      if L != self.first else "")
                   + f". Sorted by the {r.scenarios[self.base]} median, best first"
                   + (" (down the left column, then the right)" if n > 30 else "")
                   + ". Dashed: MPL; "
                   f"dotted: HPL.{note} Choose the measure with --measure.")
        self.save(fig, file, title, caption)

    def rates_by_plan(self):
        r = self.r
        num = self.r.numerator.sum(axis=3)  # (S, R, Y, P, M)
        den = self.r.denominator.sum(axis=3)
        self._unit_dot_chart("plan", num, den, [short_plan(p, 46) for p in r.plans], r.plans,
                             "rates_by_plan.png", f"{r.measures[self.measure]} by plan")

    def county_measure(self):
        r = self.r
        num = self.r.numerator.sum(axis=4)  # (S, R, Y, C, M)
        den = self.r.denominator.sum(axis=4)
        self._unit_dot_chart("county", num, den, r.counties, r.counties, "county_measure.png",
                             f"{r.measures[self.measure]} by county")

    # -- 3. forest plot

    def forest(self):
        r, L, b = self.r, self.last, self.base
        title = "Scenario differences"
        alts = [s for s in range(len(r.scenarios)) if s != b]
        if not alts:
            self.summary["forest"] = []
            self.skip_figure("forest.png", title, "the file holds one scenario; a forest plot of "
                             "differences needs at least two (run several scenario files into "
                             "one output).")
            return
        diff = (self.state_rate[:, :, L, :] - self.state_rate[b, :, L, :]) * 100  # (S, R, M)
        med, low, high = summarize(diff, axis=1)  # (S, M)
        rows = []
        for s in alts:
            for m in self.kept:
                sign = -1.0 if r.inverse[m] else 1.0
                rows.append({"scenario": r.scenarios[s], "base": r.scenarios[b],
                             "measure": r.measures[m], "year": r.years[L],
                             "inverse": bool(r.inverse[m]),
                             "replicates_pp": [jnum(v) for v in diff[s, :, m]],
                             **{k + "_pp": v for k, v in
                                stat(med[s, m], low[s, m], high[s, m]).items()},
                             "improvement_median_pp": jnum(sign * med[s, m])})
        self.summary["forest"] = rows

        n = len(self.kept)
        na = len(alts)
        fig, ax = plt.subplots(figsize=(8.2, max(3.5, (0.2 + 0.11 * na) * n + 1.9)))
        ypos = np.arange(n)
        step = min(0.22, 0.76 / na)
        handles = []
        for i, s in enumerate(alts):
            off = (i - (na - 1) / 2) * step
            x = med[s, self.kept]
            scen = r.scenarios[s]
            ax.errorbar(x, ypos + off, xerr=[x - low[s, self.kept], high[s, self.kept] - x],
                        fmt=MARKERS[s % len(MARKERS)], color=self.colors[scen], markersize=4,
                        elinewidth=1.2)
            handles.append(Line2D([], [], marker=MARKERS[s % len(MARKERS)],
                                  color=self.colors[scen], markersize=5,
                                  label=f"{scen} − {r.scenarios[b]}"))
        ax.axvline(0, color="black", linewidth=0.9)
        ax.set_yticks(ypos, [measure_label(r, m, long=True) for m in self.kept])
        shade_rows(ax, n)
        ax.margins(x=0.04)
        ax.set_xlabel(f"difference in {r.years[L]} statewide rate (percentage points),\n"
                      f"median and {INTERVAL_TEXT}")
        ax.set_title(f"Paired differences vs {r.scenarios[b]}, {r.years[L]}\n"
                     f"{self.provenance()}", fontsize=10)
        legend_below(fig, handles, min(3, na))
        self.save(fig, "forest.png", title,
                  f"Difference of each scenario's {r.years[L]} statewide rate from "
                  f"{r.scenarios[b]}'s (alternative − base, percentage points), paired by "
                  f"replicate (the scenarios share seed {self.run_facts()['seed']}, so replicate "
                  f"k of each uses the same random numbers); dots are medians of the "
                  f"{len(r.replicates)} paired differences and bars their {INTERVAL_TEXT}. For "
                  f"measures marked “lower is better” a negative difference is an improvement. "
                  f"Base: --base (default: the first scenario).")

    # -- 4. payments

    def payments_by_plan(self):
        r, L, s = self.r, self.last, self.single
        scen = r.scenarios[s]
        title = "Payments by plan"
        if "capitation_usd" not in r.money:
            self.skip_figure("payments_by_plan.png", title, "the file has no capitation_usd.")
            return
        per_plan = {k: v[s, :, L].sum(axis=1) / 1e6 for k, v in r.money.items()}  # (R, P)
        quality = [q for q in QUALITY_MONEY if q[0] in per_plan]
        program = [p for p in PROGRAM_MONEY if p[0] in per_plan and np.any(per_plan[p[0]] != 0)]
        stats = {k: summarize(v, axis=0) for k, v in per_plan.items()}
        if quality:
            net = sum(sign * per_plan[k] for k, _, _, sign in quality)
            stats["quality_net_usd"] = summarize(net, axis=0)
        med = {k: v[0] for k, v in stats.items()}
        rows = []
        for p, plan in enumerate(r.plans):
            for k, (smed, slow, shigh) in stats.items():
                rows.append({"scenario": scen, "year": r.years[L], "plan": plan, "component": k,
                             **{kk + "_musd": vv for kk, vv in
                                stat(smed[p], slow[p], shigh[p]).items()}})
        self.summary["payments_by_plan"] = rows

        order = [p for p in np.argsort(-med["capitation_usd"]) if med["capitation_usd"][p] > 0]
        left_out = len(order) - self.args.max_plans
        order = order[:self.args.max_plans]
        if not order:
            self.skip_figure("payments_by_plan.png", title, "no plan has capitation.")
            return
        n = len(order)
        ncols = 2 + (1 if program else 0)
        widths = [1.0, 1.3] + ([1.0] if program else [])
        fig, axes = plt.subplots(1, ncols, figsize=(4.2 + 3.2 * ncols, 0.34 * n + 2.3),
                                 sharey=True, gridspec_kw={"width_ratios": widths})
        ypos = np.arange(n)
        ax = axes[0]
        ax.barh(ypos, med["capitation_usd"][order], color="#999999", height=0.7,
                label="capitation")
        ax.set_yticks(ypos, [short_plan(r.plans[p], 46) for p in order])
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_title("capitation")
        ax.set_xlabel("$ millions")
        ax.grid(axis="y", visible=False)

        ax = axes[1]
        pos = np.zeros(n)
        negative = np.zeros(n)
        handles = []
        for k, label, color, sign in quality:
            v = med[k][order]
            if sign > 0:
                ax.barh(ypos, v, left=pos, color=color, height=0.7)
                pos += v
            else:
                ax.barh(ypos, -v, left=negative, color=color, height=0.7)
                negative -= v
            handles.append(Patch(color=color, label=f"{label} ({'+' if sign > 0 else '−'})"))
        if quality:
            ax.plot(med["quality_net_usd"][order], ypos, linestyle="none", marker="D",
                    color="black", markersize=4)
            handles.append(Line2D([], [], linestyle="none", marker="D", color="black",
                                  markersize=4, label="net to plan"))
        ax.axvline(0, color="black", linewidth=0.8)
        # Explicit limits: stacked bars make their left ends sticky, which defeats margins.
        extent = [negative.min(), pos.max(), 0.0]
        if quality:
            extent += [np.nanmin(med["quality_net_usd"][order]),
                       np.nanmax(med["quality_net_usd"][order])]
        lo_x, hi_x = min(extent), max(extent)
        pad = 0.05 * (hi_x - lo_x) if hi_x > lo_x else 1.0
        ax.set_xlim(lo_x - pad, hi_x + pad)
        ax.set_title("quality withhold, incentive and sanctions (to the plan)")
        ax.set_xlabel("$ millions (− paid by the plan, + paid to it)")
        ax.grid(axis="y", visible=False)
        if program:
            ax = axes[2]
            left = np.zeros(n)
            for k, label, color in program:
                v = med[k][order]
                ax.barh(ypos, v, left=left, color=color, height=0.7)
                left += v
                handles.append(Patch(color=color, label=label))
            ax.set_xlim(0, 1.05 * left.max() if left.max() > 0 else 1.0)
            ax.set_title("intervention programs (not plan income)")
            ax.set_xlabel("$ millions")
            ax.grid(axis="y", visible=False)
        fig.suptitle(f"Payments by plan, {scen}, {r.years[L]} (replicate medians) — "
                     f"{self.provenance()}", fontsize=10.5)
        legend_below(fig, handles, min(len(handles), 6), suptitle=True)
        note = (f" The {left_out} plans with the least capitation are left out (--max-plans)."
                if left_out > 0 else "")
        absent = [label for k, label, _ in PROGRAM_MONEY if k not in program]
        self.save(fig, "payments_by_plan.png", title,
                  f"Money by plan in {r.years[L]}, scenario {scen}, summed over the plan's "
                  f"counties; each bar segment is the median over {len(r.replicates)} "
                  f"replicates of one component ($ millions, for the run's "
                  f"{self.run_facts()['members']} simulated members: money scales with members). "
                  f"Left: capitation. Middle: quality withhold (−), MCAS sanctions (−), withhold "
                  f"returned (+) and QWI incentive (+); the diamond is the median net amount."
                  + (" Right: intervention program costs and practice incentives allocated to "
                     "the plans they reach." if program else
                     f" No {' or '.join(absent)} in this scenario.")
                  + f" Plans sorted by capitation.{note} Scenario: --scenario (default: the "
                  f"base scenario).")

    # -- 5. auto-assignment

    def auto_assignment(self):
        r, s = self.r, self.single
        scen = r.scenarios[s]
        title = "Default (auto-) assignment"
        if r.default_assigned is None:
            self.skip_figure("auto_assignment.png", title,
                             "the file has no default_assigned_members.")
            return
        counts = r.default_assigned[s].sum(axis=2).astype(float)  # (R, Y, P)
        share = ratio(counts, counts.sum(axis=2, keepdims=True)) * 100
        med, low, high = summarize(share, axis=0)  # (Y, P)
        enroll = None
        if r.member_months is not None:
            mm = r.member_months[s].sum(axis=2).astype(float)
            enroll = summarize(ratio(mm, mm.sum(axis=2, keepdims=True)) * 100, axis=0)[0]  # (Y, P)
        rows = []
        for p, plan in enumerate(r.plans):
            for y, year in enumerate(r.years):
                rows.append({"scenario": scen, "plan": plan, "year": year,
                             "default_assigned_median": jnum(summarize(counts[:, y, p],
                                                                       axis=0)[0]),
                             "enrollment_share_percent": (jnum(enroll[y, p]) if enroll is not None
                                                          else None),
                             **{k + "_percent": v for k, v in
                                stat(med[y, p], low[y, p], high[y, p]).items()}})
        self.summary["auto_assignment"] = rows
        total = counts.sum(axis=(0, 1))
        plans = [p for p in np.argsort(-total) if total[p] > 0]
        none = [r.plans[p] for p in range(len(r.plans)) if total[p] == 0]
        if not plans:
            self.skip_figure("auto_assignment.png", title,
                             f"no member was default-assigned in {scen}.")
            return
        n = len(plans)
        ncols = min(6, n)
        nrows = math.ceil(n / ncols)
        fig, axes = panel_grid(nrows, ncols, (2.0, 1.4), (0.6, 0.15, 0.85, 0.75), (0.5, 0.7))
        years = np.array(r.years)
        color = self.colors[scen]
        for k, p in enumerate(plans):
            ax = axes[k // ncols][k % ncols]
            if len(years) > 1:
                ax.fill_between(years, low[:, p], high[:, p], color=color, alpha=0.2,
                                linewidth=0)
                ax.plot(years, med[:, p], color=color, marker="o", markersize=3)
                if enroll is not None:
                    ax.plot(years, enroll[:, p], color="#555555", linestyle="--", linewidth=1)
            else:
                ax.errorbar(years, med[:, p], yerr=[med[:, p] - low[:, p],
                                                    high[:, p] - med[:, p]],
                            color=color, fmt="o", capsize=2)
                if enroll is not None:
                    ax.plot(years, enroll[:, p], color="#555555", marker="_", markersize=14)
            ax.set_title(short_plan(r.plans[p], 26), fontsize=8)
            year_ticks(ax, years)
            ax.margins(y=0.08)
            ax.set_ylim(bottom=0)
            if k % ncols == 0:
                ax.set_ylabel("share (%)")
        for k in range(n, nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        handles = [Line2D([], [], color=color, marker="o", markersize=4,
                          label="share of statewide default-assigned members (median)"),
                   Patch(color=color, alpha=0.3, label=INTERVAL_TEXT)]
        if enroll is not None:
            handles.append(Line2D([], [], color="#555555", linestyle="--",
                                  label="share of statewide member-months"))
        height = fig.get_figheight()
        fig.suptitle(f"Default-assigned new members by plan, {scen} — {self.provenance()}",
                     fontsize=10.5, y=1 - 0.1 / height, va="top")
        fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False,
                   bbox_to_anchor=(0.5, 0.05 / height))
        note = (f" Plans with no default-assigned members: {', '.join(none)}." if none else "")
        self.save(fig, "auto_assignment.png", title,
                  f"Each plan's share of the new enrollments assigned by default statewide "
                  f"(default_assigned_members summed over counties, divided by the statewide "
                  f"total), per year, scenario {scen}: median over replicates and the "
                  f"{INTERVAL_TEXT}. The dashed line is the plan's share of enrolled "
                  f"member-months, the share it would get if default members followed "
                  f"enrollment; above it, the plan gains from quality-based assignment in the "
                  f"counties where it competes. Panels have their own scales; ordered by "
                  f"default-assigned members.{note}")

    # -- 7. Bold Goals

    def bold_goals(self):
        r, F, L, b = self.r, self.first, self.last, self.base
        title = "Bold Goals view"
        # Gap to the HPL (percentage points, positive = short of the HPL).
        sign = np.where(r.inverse, -1.0, 1.0)  # (M,)
        gap = (r.hpl[None, None, None, :] - self.state_rate * 100) * sign  # (S, R, Y, M)
        gmed, glow, ghigh = summarize(gap, axis=1)  # (S, Y, M)

        # Disparity: the best and the worst race/ethnicity group of the base scenario's first
        # year (by median rate, among groups large enough in the first and last years), held
        # fixed so every year and scenario compares the same two groups; per replicate,
        # (best − worst) in the direction of "better", so positive means the worse group lags.
        have_groups = r.group_numerator is not None and r.group_denominator is not None
        groups_used, pairs = {}, {}
        disp = np.full(self.state_rate.shape, np.nan)
        if have_groups:
            gnum = r.group_numerator.sum(axis=3)  # (S, R, Y, M, G)
            gden = r.group_denominator.sum(axis=3)
            grate = ratio(gnum, gden) * 100
            for m in self.kept:
                dmed = nanmedian(gden[b, :, [F, L], m, :].astype(float), axis=1)  # (2, G)
                use = [g for g in range(len(r.groups))
                       if np.all(dmed[:, g] >= self.args.min_group_denominator)]
                groups_used[m] = use
                first_rates = summarize(grate[b, :, F, m, :], axis=0)[0]  # (G,)
                ranked = [g for g in use if math.isfinite(first_rates[g])]
                if len(ranked) < 2:
                    continue
                ranked.sort(key=lambda g: first_rates[g], reverse=not r.inverse[m])
                best, worst = ranked[0], ranked[-1]
                pairs[m] = (best, worst)
                sign = -1.0 if r.inverse[m] else 1.0
                disp[..., m] = sign * (grate[..., m, best] - grate[..., m, worst])
        dmed_, dlow, dhigh = summarize(disp, axis=1)  # (S, Y, M)

        rows = []
        for s, scen in enumerate(r.scenarios):
            for y in sorted({F, L}):
                for m in self.kept:
                    row = {"scenario": scen, "measure": r.measures[m], "year": r.years[y],
                           "inverse": bool(r.inverse[m]), "hpl_percent": jnum(r.hpl[m]),
                           "gap_to_hpl_pp": stat(gmed[s, y, m], glow[s, y, m], ghigh[s, y, m]),
                           "disparity_pp": stat(dmed_[s, y, m], dlow[s, y, m], dhigh[s, y, m]),
                           "groups": [r.groups[g] for g in groups_used.get(m, [])],
                           "best_group": r.groups[pairs[m][0]] if m in pairs else None,
                           "worst_group": r.groups[pairs[m][1]] if m in pairs else None,
                           "group_rates_percent": {}}
                    if m in groups_used:
                        gm = summarize(grate[s, :, y, m, :], axis=0)[0]
                        row["group_rates_percent"] = {r.groups[g]: jnum(gm[g])
                                                      for g in groups_used[m]}
                    rows.append(row)
        self.summary["bold_goals"] = rows
        self.bold_rows = rows
        self.bold_pairs = pairs

        n = len(self.kept)
        ns = len(r.scenarios)
        first_too = L != F
        slots = ns + (1 if first_too else 0)
        fig, axes = plt.subplots(1, 2, figsize=(12.0, max(4.0, (0.14 + 0.11 * slots) * n + 2.2)),
                                 sharey=True)
        ypos = np.arange(n)
        step = min(0.2, 0.76 / slots)
        offsets = [(i - (slots - 1) / 2) * step for i in range(slots)]
        panels = [(axes[0], gmed, glow, ghigh,
                   "gap to the HPL (percentage points; 0 = at the HPL)",
                   "Gap to the HPL (90th percentile)"),
                  (axes[1], dmed_, dlow, dhigh,
                   "best − worst group rate (percentage points; groups of the first year)",
                   "Disparity between race/ethnicity groups")]
        kept = np.array(self.kept)
        for ax, med, low, high, xlabel, ptitle in panels:
            shade_rows(ax, n)
            if first_too:
                ax.plot(med[b, F, kept], ypos + offsets[0], linestyle="none", marker="o",
                        markerfacecolor="white", markeredgecolor="#555555", markersize=5,
                        zorder=3)
            for s, scen in enumerate(r.scenarios):
                x = med[s, L, kept]
                ax.errorbar(x, ypos + offsets[s + (1 if first_too else 0)],
                            xerr=[x - low[s, L, kept], high[s, L, kept] - x],
                            fmt=MARKERS[s % len(MARKERS)], color=self.colors[scen],
                            markersize=4, elinewidth=1.1, zorder=4)
            ax.axvline(0, color="black", linewidth=0.9)
            ax.set_xlabel(xlabel)
            ax.set_title(ptitle)
        # Goal mark on the right: half the base scenario's first-year disparity.
        if first_too:
            half = dmed_[b, F, kept] / 2
            ok = np.isfinite(half)
            axes[1].vlines(half[ok], ypos[ok] - 0.45, ypos[ok] + 0.45, color="black",
                           linewidth=1.6, zorder=5)
        for k, m in enumerate(self.kept):
            if not math.isfinite(r.hpl[m]):
                axes[0].text(0.5, k, "no HPL", transform=axes[0].get_yaxis_transform(),
                             ha="center", va="center", fontsize=7.5, color="#666666",
                             style="italic")
            if m not in pairs:
                axes[1].text(0.5, k, "fewer than 2 groups large enough",
                             transform=axes[1].get_yaxis_transform(), ha="center",
                             va="center", fontsize=7.5, color="#666666", style="italic")
            else:
                best, worst = (r.groups[g] for g in pairs[m])
                axes[1].text(1.01, k, f"{GROUP_SHORT.get(best, best)} vs\n"
                             f"{GROUP_SHORT.get(worst, worst)}",
                             transform=axes[1].get_yaxis_transform(), va="center",
                             fontsize=7, color="#444444", linespacing=1.0)
        axes[0].set_yticks(ypos, [measure_label(r, m, long=True) for m in self.kept])
        handles = []
        if first_too:
            handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                                  markeredgecolor="#555555", markersize=5,
                                  label=f"{r.scenarios[b]} {r.years[F]}"))
        handles += [Line2D([], [], marker=MARKERS[s % len(MARKERS)], color=self.colors[sc],
                           markersize=5, label=f"{sc} {r.years[L]}")
                    for s, sc in enumerate(r.scenarios)]
        if first_too:
            handles.append(Line2D([], [], linestyle="none", marker="|", color="black",
                                  markersize=11, markeredgewidth=1.6,
                                  label=f"goal: half the {r.years[F]} disparity"))
        when = f"{r.years[F]} vs {r.years[L]}" if first_too else f"{r.years[L]}"
        fig.suptitle(f"Bold Goals view: gap to the HPL and disparities, {when} — "
                     f"{self.provenance()}", fontsize=10.5)
        legend_below(fig, handles, min(len(handles), 5), suptitle=True)
        self.save(fig, "bold_goals.png", title,
                  f"In the spirit of DHCS's Bold Goals (50×2025): close the gap to the 90th "
                  f"percentile (the MCAS HPL) and halve disparities. Left: the statewide rate's "
                  f"gap to the HPL in percentage points (HPL − rate; rate − HPL for measures "
                  f"marked “lower is better”), so positive is short of the HPL and 0 is the goal. "
                  f"Right: the gap between two race/ethnicity groups' statewide rates (group "
                  f"numerators over group denominators summed over counties, per replicate): "
                  f"the best and the worst group of {r.scenarios[b]} in {r.years[F]} (named "
                  f"at the right), among groups whose median denominator is at least "
                  f"{self.args.min_group_denominator} in both years, held fixed for every year "
                  f"and scenario; positive means the worse group lags. The black tick is half "
                  f"of {r.scenarios[b]}'s {r.years[F]} disparity. Hollow circles: "
                  f"{r.scenarios[b]} in {r.years[F]}; filled: each scenario in {r.years[L]}, "
                  f"median and {INTERVAL_TEXT}.")

    # -- output

    def write_summary(self):
        r = self.r
        f = self.run_facts()
        doc = {
            "source": str(r.path),
            "phsim_version": f["version"],
            "git_describe": f["git"],
            "seed": f["seed"],
            "members": f["members"],
            "replicates": f["replicates"],
            "years": r.years,
            "scenarios": r.scenarios,
            "scenario_hash": r.attrs.get("scenario_hash", ""),
            "base": r.scenarios[self.base],
            "scenario": r.scenarios[self.single],
            "measure": r.measures[self.measure],
            "min_denominator": self.args.min_denominator,
            "min_group_denominator": self.args.min_group_denominator,
            "interval": {"low_percentile": LOW_PERCENTILE, "high_percentile": HIGH_PERCENTILE,
                         "over": "replicates", "central": "median"},
            "benchmarks_from": r.benchmarks_from,
            "measures": [{"id": r.measures[m], "inverse": bool(r.inverse[m]),
                          "held_to_mpl": bool(r.held[m]), "mpl_percent": jnum(r.mpl[m]),
                          "hpl_percent": jnum(r.hpl[m]), "skipped": m not in self.kept}
                         for m in range(len(r.measures))],
            "skipped_measures": self.skipped,
            "notes": self.notes,
            "figures": [name for name, _, _ in self.figures if name],
        }
        doc.update(self.summary)
        with open(self.out / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, allow_nan=False)
            fh.write("\n")

    def write_html(self):
        r = self.r
        f = self.run_facts()
        e = html.escape
        hashes = str(r.attrs.get("scenario_hash", "")).split(",")
        scen_rows = "".join(
            f"<tr><td>{e(s)}</td><td><code>{e(hashes[i]) if i < len(hashes) else ''}</code></td>"
            f"<td>{'base' if i == self.base else ''}</td></tr>"
            for i, s in enumerate(r.scenarios))
        parts = [
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            f"<title>phsim report: {e(r.path.name)}</title>\n",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
            "line-height:1.45;color:#222}img{max-width:100%;border:1px solid #ddd}"
            "figure{margin:2em 0}figcaption{font-size:.92em;color:#333;margin-top:.4em}"
            "table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;"
            "padding:2px 8px;text-align:left}th{background:#f3f3f3}"
            "td.n{text-align:right}</style>\n</head>\n<body>\n",
            f"<h1>phsim report: {e(r.path.name)}</h1>\n",
            "<table>\n",
            f"<tr><th>results file</th><td>{e(str(r.path))}</td></tr>\n",
            f"<tr><th>phsim version</th><td>{e(str(f['version']))} ({e(str(f['git']))})</td>"
            "</tr>\n",
            f"<tr><th>created</th><td>{e(str(r.attrs.get('created_utc', '')))}</td></tr>\n",
            f"<tr><th>seed</th><td>{e(str(f['seed']))}</td></tr>\n",
            f"<tr><th>members</th><td>{e(str(f['members']))}</td></tr>\n",
            f"<tr><th>replicates</th><td>{f['replicates']}</td></tr>\n",
            f"<tr><th>years</th><td>{', '.join(str(y) for y in r.years)}</td></tr>\n",
            f"<tr><th>backend</th><td>{e(str(r.attrs.get('backend', '')))}</td></tr>\n",
            "</table>\n",
            "<h2>Scenarios</h2>\n<table><tr><th>scenario</th><th>hash</th><th></th></tr>"
            f"{scen_rows}</table>\n",
            f"<p>Central values are medians over the {f['replicates']} replicates; intervals "
            f"(bands and bars) are the {INTERVAL_TEXT}. Statewide, plan, county and group rates "
            "sum numerators and denominators over the cells they cover before dividing, per "
            "replicate. MPL: minimum performance level (50th percentile); HPL: high performance "
            f"level (90th percentile); benchmarks from {e(r.benchmarks_from)}. Every plotted "
            "number is in <a href=\"summary.json\">summary.json</a>.</p>\n",
        ]
        if self.notes:
            parts.append("<h2>Notes</h2>\n<ul>\n")
            parts += [f"<li>{e(n)}</li>\n" for n in self.notes]
            parts.append("</ul>\n")
        parts.append("<h2>Figures</h2>\n<ol>\n")
        for name, title, _ in self.figures:
            target = f"<a href=\"#{e(name[:-4])}\">{e(title)}</a>" if name else e(title)
            parts.append(f"<li>{target}{'' if name else ' (not drawn)'}</li>\n")
        parts.append("</ol>\n")
        for name, title, caption in self.figures:
            if name:
                parts.append(f"<figure id=\"{e(name[:-4])}\">\n<h3>{e(title)}</h3>\n"
                             f"<a href=\"{e(name)}\"><img src=\"{e(name)}\" alt=\"{e(title)}\">"
                             f"</a>\n<figcaption>{e(caption)}</figcaption>\n</figure>\n")
            else:
                parts.append(f"<h3>{e(title)}</h3>\n<p>Not drawn: {e(caption)}</p>\n")
        parts.append(self._bold_table())
        parts.append(self._measure_table())
        parts.append("</body>\n</html>\n")
        (self.out / "index.html").write_text("".join(parts), encoding="utf-8")

    def _bold_table(self):
        r = self.r
        if not getattr(self, "bold_rows", None):
            return ""
        e = html.escape
        F, L = r.years[self.first], r.years[self.last]
        base = r.scenarios[self.base]
        by = {(x["scenario"], x["measure"], x["year"]): x for x in self.bold_rows}

        def group(name):
            return "–" if name is None else GROUP_LABELS.get(name, name)

        out = [f"<h3>Bold Goals table ({e(base)})</h3>\n<table><tr><th>measure</th>"
               f"<th>gap to HPL {F}</th><th>gap to HPL {L}</th><th>disparity {F}</th>"
               f"<th>disparity {L}</th><th>best group</th><th>worst group</th></tr>\n"]
        for m in self.kept:
            mid = r.measures[m]
            a, z = by[(base, mid, F)], by[(base, mid, L)]
            out.append(
                f"<tr><td>{e(measure_label(r, m, long=True))}</td>"
                f"<td class=n>{fmt_pct(a['gap_to_hpl_pp']['median'])}</td>"
                f"<td class=n>{fmt_pct(z['gap_to_hpl_pp']['median'])}</td>"
                f"<td class=n>{fmt_pct(a['disparity_pp']['median'])}</td>"
                f"<td class=n>{fmt_pct(z['disparity_pp']['median'])}</td>"
                f"<td>{e(group(a['best_group']))}</td><td>{e(group(a['worst_group']))}</td>"
                "</tr>\n")
        out.append(f"</table>\n<p>Percentage points, medians over replicates; groups ranked "
                   f"by the {F} rates.</p>\n")
        return "".join(out)

    def _measure_table(self):
        r = self.r
        e = html.escape
        out = ["<h2>Measures</h2>\n<table><tr><th>id</th><th>name</th><th>MPL %</th>"
               "<th>HPL %</th><th>direction</th><th>held to MPL</th><th></th></tr>\n"]
        for m, mid in enumerate(r.measures):
            out.append(f"<tr><td>{e(mid)}</td><td>{e(r.measure_names.get(mid, ''))}</td>"
                       f"<td class=n>{fmt_pct(r.mpl[m], 2)}</td>"
                       f"<td class=n>{fmt_pct(r.hpl[m], 2)}</td>"
                       f"<td>{'lower is better' if r.inverse[m] else 'higher is better'}</td>"
                       f"<td>{'yes' if r.held[m] else 'no'}</td>"
                       f"<td>{'skipped: denominator 0' if m not in self.kept else ''}</td>"
                       "</tr>\n")
        out.append("</table>\n")
        if r.measure_names:
            out.append("<p>Measure names from data/measures.csv (--data).</p>\n")
        return "".join(out)

    def run(self):
        for name in FIGURES:
            if name in self.args.figures:
                getattr(self, name)()
        self.write_summary()
        self.write_html()


# --------------------------------------------------------------------------------- main

FIGURES = ["rates_statewide", "rates_by_plan", "forest", "payments_by_plan", "auto_assignment",
           "county_measure", "bold_goals"]


class Parser(argparse.ArgumentParser):
    def error(self, message):
        fail(f"report: {message} (see phsim report --help)", EXIT_USAGE)


def parse_args(argv):
    here = Path(__file__).resolve().parent
    p = Parser(prog="phsim report",
               description="Figures (PNG), index.html and summary.json from a phsim results "
                           "file. Intervals are the 2.5-97.5 percentiles over replicates.")
    p.add_argument("results", metavar="RESULTS.h5", help="results file written by phsim run")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory (created if missing)")
    p.add_argument("--base", metavar="NAME",
                   help="base scenario of the forest plot and the Bold Goals first year "
                        "(default: the first scenario)")
    p.add_argument("--scenario", metavar="NAME",
                   help="scenario of the payment and auto-assignment figures (default: --base)")
    p.add_argument("--measure", metavar="ID",
                   help="measure of the plan and county figures (default: the first held "
                        "measure)")
    p.add_argument("--min-denominator", type=int, default=30, metavar="N",
                   help="plans and counties with a median denominator below N are left out "
                        "of the plan and county figures (default: 30)")
    p.add_argument("--min-group-denominator", type=int, default=100, metavar="N",
                   help="race/ethnicity groups with a median denominator below N are left out "
                        "of the disparity (default: 100)")
    p.add_argument("--max-plans", type=int, default=25, metavar="N",
                   help="plans with the most capitation shown in payments_by_plan (default: 25)")
    p.add_argument("--figures", default=",".join(FIGURES), metavar="LIST",
                   help=f"comma-separated figures to draw, from: {', '.join(FIGURES)} "
                        "(default: all)")
    p.add_argument("--dpi", type=int, default=110, help="PNG resolution (default: 110)")
    p.add_argument("--data", default=str(here.parent / "data"), metavar="DIR",
                   help="reference data directory for measure names, and for MPL/HPL when the "
                        "file lacks them (default: the repository's data/)")
    p.add_argument("--force", action="store_true",
                   help="replace the report in DIR if it already holds one")
    args = p.parse_args(argv)
    if args.min_denominator < 1:
        p.error("--min-denominator must be at least 1")
    if args.min_group_denominator < 1:
        p.error("--min-group-denominator must be at least 1")
    if args.max_plans < 1:
        p.error("--max-plans must be at least 1")
    args.figures = [f.strip() for f in args.figures.split(",") if f.strip()]
    unknown = [f for f in args.figures if f not in FIGURES]
    if unknown or not args.figures:
        p.error(f"--figures: unknown figure '{unknown[0] if unknown else ''}' (figures: "
                f"{', '.join(FIGURES)})")
    if not 30 <= args.dpi <= 600:
        p.error("--dpi must be between 30 and 600")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise ReportError(f"--out {out}: exists and is not a directory")
        if (out / "index.html").exists() and not args.force:
            raise ReportError(f"--out {out}: already holds a report (index.html); use --force "
                              "to replace it")
        results = Results(args.results, args.data)
        report = Report(results, args)
        load_matplotlib()
        out.mkdir(parents=True, exist_ok=True)
        # A replaced report leaves none of its files behind (figures not drawn this time).
        for name in [f + ".png" for f in FIGURES] + ["summary.json", "index.html"]:
            (out / name).unlink(missing_ok=True)
        report.run()
    except ReportError as e:
        fail(str(e))
    except OSError as e:
        fail(f"report: {e.filename or args.out}: {e.strerror or e}")
    print(f"wrote {Path(args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
