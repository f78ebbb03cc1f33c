#!/usr/bin/python3
"""End-to-end test of tools/phsim_report.py (what `phsim report` runs).

Usage: test_report.py PHSIM_EXE REPORT_SCRIPT   (run by ctest through /usr/bin/python3)

Makes a small run (20000 members, 2 years, 4 replicates; scenarios baseline, a renamed copy of
baseline and outreach_chw, all with one seed), writes the report and checks the numbers in
summary.json against numpy recomputations from the results file: statewide, plan and county
rates, paired differences (exactly 0 for the copy of the base), payments, default-assignment
shares, the gap to the HPL and the group disparity. Then: valid PNGs of nontrivial size,
index.html linking every figure, a measure with a zero denominator skipped with a note, zero
denominators in one replicate left out, a one-scenario one-year file, and one clear error line
with a non-zero exit for damaged or foreign files and bad options. Exit 77 (skip) without
h5py, numpy or matplotlib.
"""
import html.parser
import json
import math
import shutil
import struct
import os
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

try:
    import h5py
    import numpy as np
    import matplotlib.image
except ImportError as e:
    print(f"skipped: Python module {e.name} is missing")
    sys.exit(77)

PHSIM = None
SCRIPT = None
WORK = None

SCENARIOS = ["baseline", "baseline_copy", "outreach_chw"]
LOW, HIGH = 2.5, 97.5


def run_phsim(*args, cwd):
    result = subprocess.run([PHSIM, *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"phsim {' '.join(args)}: {result.stderr}"


def report(*args):
    """`phsim report ARGS` (the front end runs the script with every argument passed through)."""
    env = dict(os.environ, PHSIM_REPORT_SCRIPT=str(SCRIPT))
    return subprocess.run([PHSIM, "report", *[str(a) for a in args]], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


def quantiles(x):
    """(median, low, high) over axis 0 as the report computes them, NaN left out."""
    x = np.asarray(x, dtype=float)
    return (np.nanpercentile(x, 50, axis=0), np.nanpercentile(x, LOW, axis=0),
            np.nanpercentile(x, HIGH, axis=0))


def ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk"
    return struct.unpack(">II", data[16:24]), len(data)


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.img, self.href = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.img.append(a.get("src"))
        if tag == "a":
            self.href.append(a.get("href"))


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        w = Path(WORK)
        (w / "base.toml").write_text('extends = "baseline.toml"\n')
        (w / "copy.toml").write_text('extends = "baseline.toml"\n[run]\nname = "baseline_copy"\n')
        (w / "chw.toml").write_text('extends = "outreach_chw.toml"\n')
        start = time.monotonic()
        run_phsim("run", "base.toml", "copy.toml", "chw.toml", "--members", "20000", "--years",
                  "2", "--replicates", "4", "--seed", "11", "--out", "run.h5", "--quiet",
                  cwd=w)
        cls.run_seconds = time.monotonic() - start
        cls.h5 = w / "run.h5"
        cls.out = w / "report"
        start = time.monotonic()
        cls.result = report(cls.h5, "--out", cls.out)
        cls.report_seconds = time.monotonic() - start
        print(f"phsim run {cls.run_seconds:.1f} s, report {cls.report_seconds:.1f} s",
              file=sys.stderr)
        assert cls.result.returncode == 0, cls.result.stderr
        cls.summary = json.loads((cls.out / "summary.json").read_text())
        with h5py.File(cls.h5, "r") as f:
            cls.measures = [m.decode() for m in f["measure"][...]]
            cls.plans = [p.decode() for p in f["plan"][...]]
            cls.counties = [c.decode() for c in f["county"][...]]
            cls.groups = [g.decode() for g in f["group"][...]]
            cls.years = [int(y) for y in f["year"][...]]
            cls.num = f["measure_numerator"][...]
            cls.den = f["measure_denominator"][...]
            cls.gnum = f["measure_group_numerator"][...]
            cls.gden = f["measure_group_denominator"][...]
            cls.statewide = f["measure_rate_statewide"][...]
            cls.capitation = f["capitation_usd"][...]
            cls.withhold = f["withhold_usd"][...]
            cls.default_assigned = f["default_assigned_members"][...]
            cls.inverse = np.asarray(f["measure"].attrs["inverse"]).astype(bool)
            cls.held = np.asarray(f["measure"].attrs["held_to_mpl"]).astype(bool)
            cls.hpl = np.asarray(f["measure"].attrs["hpl_percent"], dtype=float)
            cls.attrs = dict(f.attrs)

    def rows(self, figure, **keys):
        out = [r for r in self.summary[figure] if all(r.get(k) == v for k, v in keys.items())]
        self.assertTrue(out, f"{figure}: no row with {keys}")
        return out

    def assertStat(self, row, suffix, median, low, high, places=9):
        for name, want in (("median", median), ("low", low), ("high", high)):
            got = row[f"{name}{suffix}"]
            if want is None or not math.isfinite(want):
                self.assertIsNone(got, name)
            else:
                self.assertAlmostEqual(got, want, places=places, msg=f"{name}{suffix}")

    def test_metadata(self):
        s = self.summary
        self.assertEqual(s["scenarios"], SCENARIOS)
        self.assertEqual(s["base"], "baseline")
        self.assertEqual(s["seed"], 11)
        self.assertEqual(s["replicates"], 4)
        self.assertEqual(s["years"], self.years)
        self.assertEqual(s["skipped_measures"], [])
        self.assertIn("results file", s["benchmarks_from"])
        first_held = self.measures[int(np.argmax(self.held))]
        self.assertEqual(s["measure"], first_held)
        mpl = {m["id"]: m["mpl_percent"] for m in s["measures"]}
        self.assertIsNotNone(mpl[first_held])

    def test_statewide_rates_match_numpy(self):
        num = self.num.sum(axis=(3, 4))  # (S, R, Y, M)
        den = self.den.sum(axis=(3, 4))
        rate = ratio(num, den) * 100
        np.testing.assert_allclose(rate, self.statewide * 100, rtol=1e-12)
        checked = 0
        for s, scen in enumerate(SCENARIOS):
            for y, year in enumerate(self.years):
                for m, mid in enumerate(self.measures):
                    (row,) = self.rows("rates_statewide", scenario=scen, year=year, measure=mid)
                    self.assertEqual(row["numerator"], [int(v) for v in num[s, :, y, m]])
                    self.assertEqual(row["denominator"], [int(v) for v in den[s, :, y, m]])
                    np.testing.assert_allclose(row["replicates_percent"], rate[s, :, y, m],
                                               rtol=1e-9)
                    self.assertStat(row, "_percent", *quantiles(rate[s, :, y, m]), places=5)
                    checked += 1
        self.assertEqual(checked, len(self.summary["rates_statewide"]))
        # One value written out: WCV, outreach_chw, last year, the 2.5-97.5 percentiles.
        m = self.measures.index("WCV")
        x = np.sort(rate[2, :, -1, m])
        (row,) = self.rows("rates_statewide", scenario="outreach_chw", year=self.years[-1],
                           measure="WCV")
        self.assertAlmostEqual(row["median_percent"], (x[1] + x[2]) / 2, places=5)
        self.assertAlmostEqual(row["low_percent"], x[0] + 0.075 * (x[1] - x[0]), places=5)
        self.assertAlmostEqual(row["high_percent"], x[2] + 0.925 * (x[3] - x[2]), places=5)

    def test_forest_copy_of_base_is_exactly_zero(self):
        rows = self.rows("forest", scenario="baseline_copy")
        self.assertEqual(len(rows), len(self.measures))
        for row in rows:
            self.assertEqual(row["base"], "baseline")
            self.assertEqual(row["replicates_pp"], [0.0] * 4, row["measure"])
            self.assertEqual((row["median_pp"], row["low_pp"], row["high_pp"]), (0.0, 0.0, 0.0))

    def test_forest_differences_are_paired(self):
        num = self.num.sum(axis=(3, 4))
        den = self.den.sum(axis=(3, 4))
        rate = ratio(num, den)[:, :, -1, :] * 100  # (S, R, M)
        for m, mid in enumerate(self.measures):
            (row,) = self.rows("forest", scenario="outreach_chw", measure=mid)
            d = rate[2, :, m] - rate[0, :, m]
            np.testing.assert_allclose(row["replicates_pp"], d, rtol=1e-9, atol=1e-12)
            self.assertStat(row, "_pp", *quantiles(d), places=7)
            sign = -1 if self.inverse[m] else 1
            self.assertAlmostEqual(row["improvement_median_pp"], sign * row["median_pp"])
        # Outreach targets WCV from January of the second year: every replicate improves.
        (wcv,) = self.rows("forest", scenario="outreach_chw", measure="WCV")
        self.assertTrue(all(d > 0 for d in wcv["replicates_pp"]), wcv["replicates_pp"])
        # A measure it does not target and that no plan effort reaches is unchanged.
        (dev,) = self.rows("forest", scenario="outreach_chw", measure="DEV")
        self.assertEqual(dev["replicates_pp"], [0.0] * 4)

    def test_plan_and_county_rates(self):
        mid = self.summary["measure"]
        m = self.measures.index(mid)
        p = self.plans.index("L.A. Care Health Plan")
        c = self.counties.index("Los Angeles")
        y = len(self.years) - 1
        plan_rate = ratio(self.num[2, :, y, :, p, m].sum(axis=1),
                          self.den[2, :, y, :, p, m].sum(axis=1)) * 100
        (row,) = self.rows("rates_by_plan", scenario="outreach_chw", plan=self.plans[p],
                           year=self.years[y])
        self.assertStat(row, "_percent", *quantiles(plan_rate), places=5)
        self.assertTrue(row["shown"])
        county_rate = ratio(self.num[0, :, y, c, :, m].sum(axis=1),
                            self.den[0, :, y, c, :, m].sum(axis=1)) * 100
        (row,) = self.rows("county_measure", scenario="baseline", county="Los Angeles",
                           year=self.years[y])
        self.assertStat(row, "_percent", *quantiles(county_rate), places=5)
        # A county without members of the measure's age has no rate and is not shown.
        alpine = self.rows("county_measure", scenario="baseline", county="Alpine",
                           year=self.years[y])[0]
        if alpine["denominator_median"] == 0:
            self.assertIsNone(alpine["median_percent"])
        self.assertFalse(alpine["shown"])

    def test_payments(self):
        p = self.plans.index("L.A. Care Health Plan")
        cap = self.capitation[0, :, -1, :, p].sum(axis=1) / 1e6
        (row,) = self.rows("payments_by_plan", plan=self.plans[p], component="capitation_usd")
        self.assertEqual(row["scenario"], "baseline")
        self.assertStat(row, "_musd", *quantiles(cap), places=6)
        wh = self.withhold[0, :, -1, :, p].sum(axis=1) / 1e6
        (row,) = self.rows("payments_by_plan", plan=self.plans[p], component="withhold_usd")
        self.assertStat(row, "_musd", *quantiles(wh), places=6)
        self.assertGreater(row["median_musd"], 0)

    def test_auto_assignment_shares(self):
        counts = self.default_assigned[0].sum(axis=2).astype(float)  # (R, Y, P)
        share = counts / counts.sum(axis=2, keepdims=True) * 100
        for p in (0, self.plans.index("Health Net Community Solutions")):
            for y, year in enumerate(self.years):
                (row,) = self.rows("auto_assignment", plan=self.plans[p], year=year)
                self.assertStat(row, "_percent", *quantiles(share[:, y, p]), places=6)

    def test_bold_goals(self):
        num = self.num.sum(axis=(3, 4))
        den = self.den.sum(axis=(3, 4))
        rate = ratio(num, den) * 100
        for mid in ("WCV", "GSD>9"):
            m = self.measures.index(mid)
            (row,) = self.rows("bold_goals", scenario="baseline", measure=mid,
                               year=self.years[-1])
            gap = (rate[0, :, -1, m] - self.hpl[m]) if self.inverse[m] \
                else (self.hpl[m] - rate[0, :, -1, m])
            self.assertStat(row["gap_to_hpl_pp"], "", *quantiles(gap), places=6)
        self.assertTrue(self.inverse[self.measures.index("GSD>9")])
        # Disparity of WCV: the best and worst groups of the base scenario's first year.
        m = self.measures.index("WCV")
        grate = ratio(self.gnum.sum(axis=3), self.gden.sum(axis=3)) * 100  # (S, R, Y, M, G)
        (first,) = self.rows("bold_goals", scenario="baseline", measure="WCV",
                             year=self.years[0])
        gden = np.median(self.gden[0].sum(axis=2), axis=0)  # (Y, M, G)
        eligible = [g for g in range(len(self.groups)) if (gden[[0, -1], m, g] >= 100).all()]
        self.assertEqual(first["groups"], [self.groups[g] for g in eligible])
        med = np.median(grate[0, :, 0, m, :], axis=0)
        best = max(eligible, key=lambda g: med[g])
        worst = min(eligible, key=lambda g: med[g])
        self.assertEqual((first["best_group"], first["worst_group"]),
                         (self.groups[best], self.groups[worst]))
        for y, year in enumerate(self.years):
            for s, scen in enumerate(SCENARIOS):
                (row,) = self.rows("bold_goals", scenario=scen, measure="WCV", year=year)
                d = grate[s, :, y, m, best] - grate[s, :, y, m, worst]
                self.assertStat(row["disparity_pp"], "", *quantiles(d), places=6)
        self.assertGreater(first["disparity_pp"]["median"], 0)

    def test_figures_and_html(self):
        names = ["rates_statewide.png", "rates_by_plan.png", "forest.png",
                 "payments_by_plan.png", "auto_assignment.png", "county_measure.png",
                 "bold_goals.png"]
        self.assertEqual(self.summary["figures"], names)
        for name in names:
            (width, height), size = png_size(self.out / name)
            self.assertGreaterEqual(min(width, height), 300, name)
            self.assertGreater(size, 20000, name)
            # Not a blank canvas: many distinct colours.
            image = matplotlib.image.imread(self.out / name)
            colours = np.unique(image.reshape(-1, image.shape[-1])[::7], axis=0)
            self.assertGreater(len(colours), 50, name)
        page = (self.out / "index.html").read_text()
        links = Links()
        links.feed(page)
        self.assertEqual(sorted(links.img), sorted(names))
        for target in links.img + [h for h in links.href if not h.startswith("#")]:
            self.assertFalse(target.startswith(("/", "http:", "https:", "file:")), target)
            self.assertTrue((self.out / target).is_file(), target)
        self.assertIn("summary.json", links.href)
        for text in ("seed</th><td>11<", "replicates</th><td>4<", self.summary["phsim_version"],
                     "2.5–97.5 percentiles over replicates", *SCENARIOS):
            self.assertIn(text, page)

    def test_existing_report_needs_force(self):
        again = report(self.h5, "--out", self.out)
        self.assertEqual(again.returncode, 1)
        self.assertIn("--force", again.stderr)

    def test_zero_denominators(self):
        """PDS-E zero everywhere: skipped with a note. WCV zero in replicate 1 of every
        scenario and year: left out of the medians there."""
        path = Path(WORK) / "zero.h5"
        shutil.copyfile(self.h5, path)
        pds, wcv = self.measures.index("PDS-E"), self.measures.index("WCV")
        with h5py.File(path, "r+") as f:
            for name in ("measure_numerator", "measure_denominator"):
                v = f[name]
                v[:, :, :, :, :, pds] = 0
                v[:, 1, :, :, :, wcv] = 0
        out = Path(WORK) / "zero_report"
        result = report(path, "--out", out, "--dpi", "50", "--figures", "rates_statewide,forest")
        self.assertEqual(result.returncode, 0, result.stderr)
        s = json.loads((out / "summary.json").read_text())
        self.assertEqual(s["skipped_measures"], ["PDS-E"])
        self.assertTrue(any("PDS-E" in n and "skipped" in n for n in s["notes"]), s["notes"])
        self.assertIn("PDS-E is skipped", (out / "index.html").read_text())
        self.assertFalse([r for r in s["rates_statewide"] if r["measure"] == "PDS-E"])
        self.assertFalse([r for r in s["forest"] if r["measure"] == "PDS-E"])
        self.assertEqual(s["figures"], ["rates_statewide.png", "forest.png"])
        self.assertNotIn("bold_goals", s)
        num = self.num.sum(axis=(3, 4))[0, :, 0, wcv]
        den = self.den.sum(axis=(3, 4))[0, :, 0, wcv]
        rates = ratio(num, den) * 100
        rates[1] = np.nan
        (row,) = [r for r in s["rates_statewide"] if r["scenario"] == "baseline"
                  and r["measure"] == "WCV" and r["year"] == self.years[0]]
        self.assertIsNone(row["replicates_percent"][1])
        self.assertStat(row, "_percent", *quantiles(rates), places=5)

    def test_one_scenario_one_year(self):
        w = Path(WORK)
        run_phsim("run", "--members", "10000", "--years", "1", "--replicates", "2", "--seed",
                  "3", "--out", "one.h5", "--quiet", cwd=w)
        out = w / "one_report"
        result = report(w / "one.h5", "--out", out, "--measure", "CBP", "--dpi", "50",
                        "--figures", "rates_statewide,forest,auto_assignment,bold_goals")
        self.assertEqual(result.returncode, 0, result.stderr)
        s = json.loads((out / "summary.json").read_text())
        self.assertEqual(s["forest"], [])
        self.assertNotIn("forest.png", s["figures"])
        self.assertFalse((out / "forest.png").exists())
        self.assertIn("needs at least two", (out / "index.html").read_text())
        self.assertEqual(s["measure"], "CBP")
        self.assertEqual(s["figures"], ["rates_statewide.png", "auto_assignment.png",
                                        "bold_goals.png"])
        # One year: the first and the last year are the same.
        for row in s["bold_goals"]:
            self.assertEqual(row["year"], s["years"][0])

    def assertOneLineError(self, result, *fragments, status=1):
        self.assertEqual(result.returncode, status, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("phsim: error: "), lines[0])
        self.assertNotIn("Traceback", result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_damaged_and_foreign_files(self):
        w = Path(WORK)
        garbage = w / "garbage.h5"
        garbage.write_bytes(b"not an HDF5 file\n" * 100)
        self.assertOneLineError(report(garbage, "--out", w / "r1"), "garbage.h5", "HDF5")
        truncated = w / "truncated.h5"
        truncated.write_bytes(self.h5.read_bytes()[:6000])
        self.assertOneLineError(report(truncated, "--out", w / "r2"), "truncated.h5")
        foreign = w / "foreign.h5"
        with h5py.File(foreign, "w") as f:
            f["x"] = np.arange(3)
        self.assertOneLineError(report(foreign, "--out", w / "r3"), "foreign.h5",
                                "not a phsim results file")
        self.assertOneLineError(report(w / "missing.h5", "--out", w / "r4"), "no such file")
        for name in ("r1", "r2", "r3", "r4"):
            self.assertFalse((w / name / "index.html").exists())

    def test_bad_options(self):
        w = Path(WORK)
        self.assertOneLineError(report(self.h5, "--out", w / "r5", "--base", "nope"),
                                "--base nope", "baseline_copy")
        self.assertOneLineError(report(self.h5, "--out", w / "r6", "--measure", "XYZ"),
                                "--measure XYZ")
        self.assertOneLineError(report(self.h5, "--out", w / "r7", "--figures", "pie"),
                                "--figures", "pie", status=2)
        self.assertOneLineError(report(self.h5), "--out", status=2)


def main():
    global PHSIM, SCRIPT, WORK
    if len(sys.argv) != 3:
        print("usage: test_report.py PHSIM_EXE REPORT_SCRIPT", file=sys.stderr)
        return 2
    PHSIM, SCRIPT = (str(Path(a).resolve()) for a in sys.argv[1:3])
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="phsim_report_test_") as work:
        WORK = work
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Report)
        ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
    print(f"test_report: {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
