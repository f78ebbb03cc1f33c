#!/usr/bin/python3
"""Checks a file written by write_sample_h5 with xarray (engine="h5netcdf") and h5py.

Usage: check_xarray.py SAMPLE.h5   (run by ctest through /usr/bin/python3)
The expected values follow the formulas in tests/io/write_sample_h5.cpp.
"""
import math
import shutil
import subprocess
import sys

import h5py
import numpy as np
import xarray as xr


def sample_toml():
    s = '[scenario]\nname = "sample"\n\n[parameters]\n'
    i = 0
    while len(s.encode()) < 100000:
        s += f"param_{i} = {i * 3}\n"
        i += 1
    return s


SCENARIOS = ["baseline", "expansion"]
REPLICATES = [0, 1, 2]
YEARS = [2025, 2026, 2027, 2028]
COUNTIES = ["Doña Ana"] + [f"County {c}" for c in range(1, 60)]
PLANS = ["Alpha Health", "Beta Care", "Gamma"]
MEASURES = ["well_child", "hba1c", "breast_cancer_screening"]
FULL_DIMS = ("scenario", "replicate", "year", "county", "plan")


def mm(s, r, y, c, p):
    return (((s * 10 + r) * 10 + y) * 100 + c) * 10 + p


def start(s, r, c, p):
    return (((s * 10 + r) * 100 + c) * 10 + p) * 7 - 3


def check_xarray(path):
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert dict(ds.sizes) == {
            "scenario": 2, "replicate": 3, "year": 4, "county": 60, "plan": 3, "measure": 3,
            "group": 0,
        }, dict(ds.sizes)
        assert list(ds["scenario"].values) == SCENARIOS
        assert list(ds["replicate"].values) == REPLICATES
        assert ds["year"].dtype == np.int64
        assert list(ds["year"].values) == YEARS
        assert list(ds["county"].values) == COUNTIES, ds["county"].values[:3]
        assert list(ds["plan"].values) == PLANS
        assert list(ds["measure"].values) == MEASURES
        assert ds["group"].size == 0
        assert ds["county"].attrs == {"source": "census"}, ds["county"].attrs

        assert set(ds.data_vars) == {
            "enrollment_member_months", "enrollment_start", "measure_rate", "group_members"
        }, set(ds.data_vars)
        v = ds["enrollment_member_months"]
        assert v.dims == FULL_DIMS, v.dims
        assert v.shape == (2, 3, 4, 60, 3)
        assert v.dtype == np.int64, v.dtype
        assert v.attrs == {"units": "member-months", "long_name": "enrolled member-months"}, v.attrs
        # Label-based selection.
        cell = v.sel(scenario="expansion", replicate=2, year=2027, county="Doña Ana", plan="Gamma")
        assert int(cell) == mm(1, 2, 2, 0, 2)
        cell = v.sel(scenario="baseline", replicate=1, year=2028, county="County 59", plan="Beta Care")
        assert int(cell) == mm(0, 1, 3, 59, 1)
        values = v.values
        s, r, y, c, p = np.indices(values.shape)
        assert np.array_equal(values, mm(s, r, y, c, p))

        e = ds["enrollment_start"]
        assert e.dims == ("scenario", "replicate", "county", "plan"), e.dims
        assert e.dtype == np.int64
        assert int(e.sel(scenario="expansion", replicate=0, county="County 7", plan="Alpha Health")) == start(1, 0, 7, 0)
        s, r, c, p = np.indices(e.shape)
        assert np.array_equal(e.values, start(s, r, c, p))

        rate = ds["measure_rate"]
        assert rate.dims == ("scenario", "replicate", "year", "measure")
        assert rate.dtype == np.float64
        assert math.isnan(float(rate.sel(scenario="expansion", replicate=2, year=2028, measure="well_child")))
        assert int(np.isnan(rate.values).sum()) == 1
        assert float(rate.sel(scenario="expansion", replicate=1, year=2026, measure="hba1c")) == (
            0.5 + 0.1 * 1 + 0.01 * 1 + 0.001 * 1 + 0.0001 * 1)

        g = ds["group_members"]
        assert g.dims == ("group", "plan") and g.shape == (0, 3)

        a = ds.attrs
        assert a["version"] == "0.1.0"
        assert a["backend"] == "cpu-omp"
        assert a["git_describe"] == "v0.1.0-3-gabcdef0"
        assert int(a["threads"]) == 2
        assert int(a["seed"]) == 1234567890123
        assert int(a["start_year"]) == 2025
        assert int(a["members"]) == 1500000
        assert a["created"] == "2025-01-01T00:00:00Z"
        assert float(a["scale_factor_test"]) == 0.25
        assert isinstance(a["scenario_toml"], str)
        assert a["scenario_toml"] == sample_toml()
        assert a["scenario_hash"] == "0123456789abcdef"


def check_h5py(path):
    with h5py.File(path, "r") as f:
        mmv = f["enrollment_member_months"]
        assert [d[0].name for d in mmv.dims] == ["/" + n for n in FULL_DIMS]
        assert [d.label for d in mmv.dims] == [""] * 5  # labels unused; names come from the scales
        assert mmv.dtype == np.dtype("<i8")
        assert mmv.chunks is not None and mmv.compression == "gzip" and mmv.shuffle
        assert int(np.prod(mmv.chunks)) * 8 <= 1 << 20
        assert mmv[1, 2, 3, 59, 2] == mm(1, 2, 3, 59, 2)
        st = f["enrollment_start"]
        assert st.chunks is None and st.compression is None
        assert st.dtype == np.dtype("<i8")
        assert f["measure_rate"].dtype == np.dtype("<f8")
        assert f["county"].attrs["CLASS"] == b"DIMENSION_SCALE"
        assert f["county"].asstr()[0] == "Doña Ana"
        assert h5py.check_string_dtype(f["county"].dtype).encoding == "utf-8"
        assert f["group"].shape == (0,)
        assert isinstance(f.attrs["scenario_toml"], str)
        assert f.attrs["scenario_toml"] == sample_toml()
        assert f.attrs["seed"] == 1234567890123
        assert f.attrs["seed"].dtype == np.int64
        assert f.attrs["scale_factor_test"] == 0.25
        # v1.8 file format: superblock version 2.
        assert f.id.get_create_plist().get_version()[0] == 2


def check_ncdump(path):
    """netCDF-C (where ncdump is installed) must open the file too."""
    ncdump = shutil.which("ncdump")
    if ncdump is None:
        return
    out = subprocess.run([ncdump, "-h", path], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "int64 enrollment_member_months(scenario, replicate, year, county, plan)" in out.stdout, out.stdout


def main():
    path = sys.argv[1]
    check_xarray(path)
    check_h5py(path)
    check_ncdump(path)
    print("check_xarray: ok")


if __name__ == "__main__":
    main()
