#!/usr/bin/env python3
"""Derives data/*.csv from the shared reference data set (shared/data in the project workspace).

Every number written here either comes from the shared files or is an assumption stated in the
row's status/source. Run: python3 tools/derive_reference_data.py ../shared/data data
"""
import csv
import io
import math
import sys

SRC, DST = sys.argv[1], sys.argv[2]

MIRROR = "via GitHub mirror JtrunzPHP/medi-cal-dashboard@b78c0df"
ELIG_URL = "https://data.chhs.ca.gov/dataset/medi-cal-certified-eligibles-with-demographics-by-month"
MCER_URL = "https://data.chhs.ca.gov/dataset/medi-cal-managed-care-enrollment-report"
LANG_URL = ("https://data.chhs.ca.gov/dataset/quarterly-certified-eligible-counts-by-month-of-"
            "eligibility-county-and-threshold-language")
CHA_URL = "https://www.calhospital.org/cha-news-article/dhcs-releases-medi-cal-monthly-enrollment-fast-facts"
FIRST5_URL = ("https://first5center.org/blog/new-pre-pandemic-data-show-children-with-medi-cal-"
              "dont-access-enough-preventive-care")
DHCS_MY2024_URL = ("https://www.dhcs.ca.gov/formsandpubs/publications/oc/Pages/"
                   "25-30-Medi-Cal-Quality-Ratings-12-22-25.aspx")
CCF_URL = ("https://ccf.georgetown.edu/2022/12/15/medicaid-managed-care-quality-performance-"
           "sanctions-and-transparency-in-california")


def read(name):
    with open(f"{SRC}/{name}", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        assert len(r) == len(header), (name, r)
        w.writerow(r)
    text = buf.getvalue()
    text.encode("ascii")  # keep the embedded files plain ASCII
    with open(f"{DST}/{name}", "w", newline="", encoding="utf-8") as f:
        f.write(text)
    print(f"{name}: {len(rows)} rows, {len(text)} bytes")


def fmt(x, nd=2):
    s = f"{x:.{nd}f}"
    return s


def ascii_only(s):
    return (s.replace("\u2013", "-").replace("\u2014", "-").replace("\u2265", ">=")
            .replace("\u2264", "<=").replace("\u2019", "'"))


# ---------------------------------------------------------------- counties.csv
counties = read("counties.csv")
rows = []
for c in counties:
    src = c["source_url"].strip()
    rows.append([c["county_name"], c["fips"], c["region"], c["plan_model_2024"],
                 c["medi_cal_enrollment"], c["enrollment_as_of"], c["enrollment_status"],
                 f"{src} (enrollment and plan model: DHCS data {MIRROR})"])
assert len(rows) == 58
assert sum(int(r[4]) for r in rows) == 14913710
write("counties.csv", ["county", "fips", "region", "plan_model", "enrollment",
                       "enrollment_as_of", "status", "source"], rows)

# ---------------------------------------------------------------- plans.csv
plans = read("plans_by_county.csv")
rows = []
for p in plans:
    assert p["confidence"] == "sourced"
    rows.append([p["county_name"], p["plan_name"], p["plan_type"], p["parent_org"], p["enrollment"],
                 p["enrollment_as_of"], "sourced",
                 f"{p['source_url'].strip()} (enrollment: DHCS Managed Care Enrollment Report {MIRROR})"])
assert len(rows) == 113
assert len({r[1] for r in rows}) == 22
write("plans.csv", ["county", "plan", "plan_type", "parent_org", "enrollment", "enrollment_as_of",
                    "status", "source"], rows)

# ---------------------------------------------------------------- measures.csv
# HPL = assumed national Medicaid 90th percentile: MPL + a typical 50th->90th percentile spread for
# the measure family (analyst approximation of NCQA Quality Compass Medicaid HMO spreads; for the
# inverse GSD>9 the HPL lies BELOW the MPL). Values in percentage points.
HPL_SPREAD = {
    "W30-6": 10.0, "W30-2": 10.0, "WCV": 12.0, "CIS-10": 14.0, "IMA-2": 15.0, "LSC": 15.0,
    "TFL-CH": 11.0, "DEV": 20.0, "CHL": 12.0, "PPC-Pre": 7.0, "PPC-Pst": 7.0, "BCS-E": 11.0,
    "CCS": 10.0, "CBP": 11.0, "GSD>9": -10.0, "AMR": 8.0, "FUA-30": 18.0, "FUM-30": 18.0,
}
# MPL assumptions for the two held measures without an MPL in the source.
MPL_ASSUMED = {
    "TFL-CH": (19.0, "assumption: CMS Child Core Set TFL-CH state median ~19% (FFY2022-23, analyst "
                     "recollection, unverified); DHCS derives this MPL from a non-NCQA benchmark that "
                     "was not found"),
    "DEV": (35.0, "assumption: CMS Child Core Set DEV-CH state median ~35% (FFY2021-22, analyst "
                  "recollection, unverified); DHCS MPL value not found"),
}
# Reference (statewide Medi-Cal MY2024) rate, per measure: (value, status, basis).
GENERIC_BASIS = ("assumption: MPL + 2 points (inverse: MPL - 2). Medi-Cal statewide rates sit near "
                 "the national Medicaid median; DHCS reports statewide improvement on all measures in "
                 "MY2024 while 14 of 22 plans were still sanctioned on at least one measure, i.e. "
                 "plans scatter around the MPL with the state slightly above it. Plausible range "
                 "MPL-8 .. MPL+8.")
REFERENCE = {
    "W30-6": (26.0, "derived",
              "MY2019 statewide 26% (DHCS Preventive Services Report, predecessor W15 spec) kept "
              "unchanged: DHCS says MY2024 improved on all measures but gives no magnitude for W30; "
              "likely understates MY2024 (plausible 26-45). Far below the MPL: most plans fail W30-6."),
    "W30-2": (63.0, "derived",
              "MY2019 statewide 63% (DHCS Preventive Services Report) kept unchanged: DHCS says MY2024 "
              "improved on all measures but gives no magnitude for W30 (plausible 63-72)."),
    "LSC": (66.0, "derived",
            "MY2019 statewide 61% + 5 points: DHCS Dec-2025 says lead screening improved by at least 5 "
            "points MY2023->MY2024 (lower bound; MY2019->MY2023 assumed flat). Plausible 61-75."),
    "DEV": (30.0, "derived",
            "MY2019 statewide 25% + 5 points: DHCS Dec-2025 says developmental screening improved by "
            "at least 5 points MY2023->MY2024 (lower bound; MY2019->MY2023 assumed flat). "
            "Plausible 25-45."),
    "FUM-30": (None, "assumption",
               "assumption: MPL + 2 points like the others; DHCS Dec-2025 reports a >13-point gain "
               "MY2023->MY2024 but no level, so the MY2024 rate may be well above the MPL "
               "(plausible MPL-8 .. MPL+15)."),
    "DSF-E": (10.0, "assumption",
              "assumption: ECDS depression screening and follow-up is new and reported low nationally "
              "(documentation in electronic data is sparse); 10% with a plausible range 2-30."),
    "PND-E": (15.0, "assumption",
              "assumption: prenatal depression screening (ECDS) reported low nationally; 15% with a "
              "plausible range 5-40."),
    "PDS-E": (20.0, "assumption",
              "assumption: postpartum depression screening (ECDS) reported low nationally; 20% with a "
              "plausible range 5-45."),
}

# How the simulator counts each measure (kernels/measure_spec.hpp; data/README.md explains the
# columns). These are the project's modelling decisions, not values from the shared data: a
# simplified, month-granular version of each published specification, with the simplification
# stated in spec_basis.
SPEC_COLUMNS = ["kind", "anchor", "sex", "age_lo_years", "age_hi_years", "milestones_months",
                "window", "min_services", "condition", "trigger", "counted_at", "control",
                "enrollment", "spec_basis"]


def cw(anchor, sex, ages, milestones, window, k, basis):
    """A count_in_window row: ages = (lo, hi) years for year_end anchors, None for milestones."""
    lo, hi = ("", "") if ages is None else ages
    return ["count_in_window", anchor, sex, str(lo), str(hi), milestones, window, str(k), "none",
            "none", "none", "none", "year", basis]


def fu(sex, ages, condition, trigger, counted_at, basis):
    return ["followup", "year_end", sex, str(ages[0]), str(ages[1]), "", "event", "1", condition,
            trigger, counted_at, "none", "event", basis]


def ctl(ages, condition, control, basis):
    return ["control", "year_end", "any", str(ages[0]), str(ages[1]), "", "year", "1", condition,
            "none", "none", control, "year", basis]


SPEC = {
    "W30-6": cw("milestone", "any", None, "15", "age:0-15", 6,
                "HEDIS W30 rate 1: children who turn 15 months in the year with 6+ well-child visits "
                "on or before that birthday; here 6+ well-child services while aged 0-15 months, "
                "judged in the month the child turns 15 months. Visit and provider coding are not "
                "modelled and continuous enrollment from 31 days of age is replaced by the year rule."),
    "W30-2": cw("milestone", "any", None, "30", "age:15-30", 2,
                "HEDIS W30 rate 2: children who turn 30 months in the year with 2+ well-child visits "
                "after 15 months of age; here 2+ well-child services while aged 15-30 months, judged "
                "at the 30-month birthday. Visit coding is not modelled and continuous enrollment "
                "from 15 to 30 months is replaced by the year rule."),
    "WCV": cw("year_end", "any", (3, 21), "", "year", 1,
              "HEDIS WCV: members 3-21 at Dec 31 with at least one comprehensive well-care visit "
              "with a PCP or OB/GYN in the year; here one well-care service in the year. Provider "
              "type and visit coding are not modelled."),
    "CIS-10": cw("milestone", "any", None, "24", "age:0-24", 7,
                 "HEDIS CIS Combination 10: children turning 2 in the year who completed ten vaccine "
                 "series (DTaP, IPV, MMR, HiB, HepB, VZV, PCV, HepA, rotavirus, influenza) by the 2nd "
                 "birthday; here 7+ immunization visits before 24 months stand for the whole "
                 "Combination 10 series. Individual antigens, dose counts and spacing rules are not "
                 "modelled."),
    "IMA-2": cw("milestone", "any", None, "156", "age:108-156", 3,
                "HEDIS IMA Combination 2: adolescents turning 13 in the year with meningococcal, Tdap "
                "and a complete HPV series (HPV from age 9) by the 13th birthday; here 3+ adolescent "
                "immunization services between 9 and 13 years (108-156 months). Which vaccine each "
                "service is and the 2- vs 3-dose HPV rule are not modelled."),
    "LSC": cw("milestone", "any", None, "24", "age:0-24", 1,
              "HEDIS LSC: children turning 2 in the year with one or more blood lead tests on or "
              "before the 2nd birthday; here one lead screening service before 24 months. Test type "
              "(capillary or venous) is not modelled."),
    "TFL-CH": cw("year_end", "any", (1, 20), "", "year", 2,
                 "CMS Child Core Set TFL-CH: members 1-20 with at least two topical fluoride "
                 "applications in the year; here 2+ fluoride services in the year. Dental vs medical "
                 "setting and the dental-enrollment denominator are not modelled."),
    "DEV": cw("milestone", "any", None, "12;24;36", "since_birthday", 1,
              "CMS Child Core Set DEV-CH: children screened with a standardized developmental tool in "
              "the 12 months before their 1st, 2nd or 3rd birthday; here one screening service since "
              "the previous birthday, judged at the 12, 24 and 36 month birthdays, the three ages "
              "pooled into one rate. Tool type is not modelled."),
    "CHL": cw("year_end", "female", (16, 24), "", "year", 1,
              "HEDIS CHL: women 16-24 identified as sexually active with at least one chlamydia test "
              "in the year; here every female member 16-24 is eligible and one test service counts. "
              "The sexually-active identification (pregnancy, contraception and STI codes) is not "
              "modelled, so the denominator is larger than the published one."),
    "PPC-Pre": fu("female", (12, 55), "none", "prenatal_start", "delivery",
                  "HEDIS PPC timeliness of prenatal care: deliveries (Oct 8 of the prior year to Oct 7) "
                  "with a prenatal visit in the first trimester or within 42 days of enrollment; here "
                  "the visit is decided when prenatal care starts (conception while enrolled or "
                  "enrollment while pregnant) and the event counts at delivery. The delivery window "
                  "is the calendar year and trimester timing is month-granular."),
    "PPC-Pst": fu("female", (12, 55), "none", "delivery", "delivery",
                  "HEDIS PPC postpartum care: deliveries (Oct 8 of the prior year to Oct 7) with a "
                  "postpartum visit 7-84 days after delivery; here a postpartum service decided and "
                  "counted at delivery. The 7-84 day window is month-granular and the delivery window "
                  "is the calendar year."),
    "BCS-E": cw("year_end", "female", (50, 74), "", "lookback:27", 1,
                "HEDIS BCS-E (ECDS): women with a mammogram from Oct 1 two years before the "
                "measurement year to Dec 31 (27 months); here one screening service in the last 27 "
                "months at year end among women 50-74 at Dec 31. The published denominator starts at "
                "52 at Dec 31 (so the lookback starts after age 50) and excludes mastectomy, hospice "
                "and frailty; neither refinement is modelled."),
    "CCS": cw("year_end", "female", (21, 64), "", "lookback:36", 1,
              "HEDIS CCS: women 21-64 with cervical cytology in the last 3 years, or 30-64 with hrHPV "
              "testing in the last 5 years; here one screening service in the last 36 months at year "
              "end. The 5-year hrHPV path and hysterectomy exclusions are not modelled."),
    "CBP": ctl((18, 85), "hypertension", "blood_pressure",
               "HEDIS CBP: members 18-85 with hypertension whose most recent blood pressure in the "
               "year is below 140/90; here the state at the last reading of a monthly "
               "controlled/uncontrolled chain among members with hypertension. The two-diagnosis "
               "confirmation rule and the exclusions (frailty, advanced illness, ESRD, pregnancy) "
               "are not modelled."),
    "GSD>9": ctl((18, 75), "diabetes", "hba1c",
                 "HEDIS GSD (formerly HBD) poor control: members 18-75 with diabetes whose most "
                 "recent HbA1c in the year is above 9.0% or missing (inverse: lower is better); here "
                 "the state at the last reading of a monthly poor/not-poor chain among members with "
                 "diabetes, with no test counted as poor. Pharmacy-based identification and the "
                 "exclusions are not modelled."),
    "AMR": ["ratio", "year_end", "any", "5", "64", "", "year", "1", "asthma", "none", "none",
            "none", "year",
            "HEDIS AMR: members 5-64 with persistent asthma whose controller medication units are at "
            "least half of all asthma medication units in the year; here, among members with asthma "
            "and at least one fill, controller fills / all asthma fills >= 0.5. The persistent-asthma "
            "definition (events in both years) and medication units are simplified to the condition "
            "flag and fill counts."],
    "FUA-30": fu("any", (13, 120), "substance_use", "ed_substance_use", "ed_substance_use",
                 "HEDIS FUA 30-day: ED visits by members 13+ with a principal diagnosis of substance "
                 "use followed by follow-up care or pharmacotherapy within 30 days; here each ED "
                 "substance-use visit is an event whose follow-up is decided at the visit (month "
                 "granularity for 30 days). Visits in December, repeat visits within 31 days and "
                 "admissions after the visit get no special treatment."),
    "FUM-30": fu("any", (6, 120), "mental_illness", "ed_mental_health", "ed_mental_health",
                 "HEDIS FUM 30-day: ED visits by members 6+ with a principal diagnosis of mental "
                 "illness or intentional self-harm followed by a mental-health follow-up within 30 "
                 "days; here each ED mental-health visit is an event whose follow-up is decided at the "
                 "visit (month granularity). Visits in December, repeat visits within 31 days and "
                 "admissions after the visit get no special treatment."),
    "DSF-E": cw("year_end", "any", (12, 120), "", "year", 1,
                "HEDIS DSF-E (ECDS): members 12+ screened for depression with a standardized "
                "instrument in the year, and followed up within 30 days of a positive screen; here "
                "one depression screening service in the year (the screening rate only). Follow-up "
                "after a positive screen and the exclusions (bipolar disorder, existing depression) "
                "are not modelled."),
    "PND-E": fu("female", (12, 55), "none", "prenatal_start", "delivery",
                "HEDIS PND-E (ECDS): deliveries whose mother was screened for depression during "
                "pregnancy, and followed up when positive; here the screening is decided when "
                "prenatal care starts and the event counts at delivery. Follow-up after a positive "
                "screen is not modelled."),
    "PDS-E": fu("female", (12, 55), "none", "delivery", "delivery",
                "HEDIS PDS-E (ECDS): deliveries whose mother was screened for depression 7-84 days "
                "after delivery, and followed up when positive; here a postpartum screening decided "
                "and counted at delivery. The 7-84 day window is month-granular and follow-up after a "
                "positive screen is not modelled."),
}
assert all(len(v) == len(SPEC_COLUMNS) for v in SPEC.values())

measures = read("mcas_measures.csv")
rows = []
n_held = 0
for m in measures:
    mid = m["measure_id"]
    held = m["held_to_mpl"] == "true"
    inverse = m["inverse"] == "true"
    n_held += held
    urls = m["source_url"].strip()
    status = []
    src = []
    if m["mpl_percent"]:
        mpl = float(m["mpl_percent"])
        status.append("mpl=estimate-unverified")
        src.append("MPL: analyst approximation of the NCQA Quality Compass MY2022 Medicaid HMO 50th "
                   "percentile as given in the shared data (unverified; replace from the DHCS MCAS "
                   "MPL/HPL table)")
    elif mid in MPL_ASSUMED:
        mpl, why = MPL_ASSUMED[mid]
        status.append("mpl=assumption")
        src.append("MPL " + why)
    else:
        mpl = None
    if mpl is not None:
        spread = HPL_SPREAD[mid]
        hpl = mpl + spread
        status.append("hpl=assumption")
        direction = "below" if spread < 0 else "above"
        src.append(f"HPL: assumption = MPL {'-' if spread < 0 else '+'} {abs(spread):g} points, a "
                   f"typical national Medicaid 50th->90th percentile spread for this measure family "
                   f"(analyst approximation; HPL lies {direction} the MPL)")
    else:
        hpl = None
    ref, rstatus, basis = REFERENCE.get(mid, (None, "assumption", GENERIC_BASIS))
    if ref is None and mpl is not None:
        ref = mpl - 2.0 if inverse else mpl + 2.0
    if mid == "W30-6" or mid == "W30-2" or mid in ("LSC", "DEV"):
        src.append(f"reference: {FIRST5_URL} ; {DHCS_MY2024_URL}")
    status.append(f"reference={rstatus}")
    if mid not in REFERENCE and not held:
        raise SystemExit(f"no reference rule for non-held {mid}")
    if held:
        assert mpl is not None and hpl is not None and ref is not None, mid
        assert (hpl <= mpl) if inverse else (hpl >= mpl), mid
    for v in (mpl, hpl, ref):
        assert v is None or 0 <= v <= 100
    src.append(urls)
    rows.append([mid, ascii_only(m["measure_name"]), m["domain"], m["inverse"], m["held_to_mpl"],
                 "" if mpl is None else fmt(mpl), "" if hpl is None else fmt(hpl),
                 "" if ref is None else fmt(ref), basis, "; ".join(status), " | ".join(src)]
                + SPEC[mid])
assert len(rows) == 21 and n_held == 18
assert {r[0] for r in rows} == set(SPEC)
write("measures.csv", ["measure_id", "name", "domain", "inverse", "held_to_mpl", "mpl_percent",
                       "hpl_percent", "reference_rate_percent", "reference_rate_basis", "status",
                       "source"] + SPEC_COLUMNS, rows)

# ---------------------------------------------------------------- population.csv
pop = []  # (dimension, category, given, share, status, source)

# Age bands. 0-20 total from Children Now (>5.5M of 14.91M), 65+ = 9% (DHCS 2018 shape), 21-64 the
# rest. Age 0 from 250k Medi-Cal births a year.
total_elig = 14913710
share_0_20 = round(5_500_000 / total_elig * 100, 2)       # 36.88
share_65 = 9.0
share_21_64 = round(100 - share_0_20 - share_65, 2)         # 54.12
age0 = round(250_000 / total_elig * 100, 2)                 # 1.68
AGE_SRC_CHILD = ("0-20 total = 5.5M (Children Now 2024, https://issuu.com/childrennow/docs/preventive-"
                 f"services-chartbook-2024) / 14,913,710 certified eligibles (Jun-2024) = {share_0_20}%")
child_bands = [  # (band, share, status, note)
    ("0-0", age0, "derived", "250,000 Medi-Cal births a year (500,000 CA births x 0.5, CHCF) / "
     "14,913,710 = 1.68%"),
    ("1-1", 1.70, "assumption", "assumption: ~1.70% per single year of age 1-5 (close to the birth "
     "cohort; CA has ~480k children per year of age and Medi-Cal covers over half of CA kids)"),
    ("2-2", 1.70, "assumption", "assumption: as 1-1"),
    ("3-5", 5.25, "assumption", "assumption: 1.75% per year x 3"),
    ("6-11", 10.80, "assumption", "assumption: 1.80% per year x 6 (older, larger CA birth cohorts)"),
    ("12-17", 11.10, "assumption", "assumption: 1.85% per year x 6 (older, larger CA birth cohorts)"),
]
s = sum(b[1] for b in child_bands)
band_18_20 = round(share_0_20 - s, 2)
child_bands.append(("18-20", band_18_20, "assumption",
                    f"assumption: remainder of the 0-20 total ({share_0_20} - {s:.2f}) = "
                    f"{band_18_20} (~{band_18_20 / 3:.2f}% per year; some lose child coverage at 19)"))
adult_w = [("21-25", 6.50), ("26-34", 11.50), ("35-44", 12.50), ("45-54", 11.60)]
band_55_64 = round(share_21_64 - sum(w for _, w in adult_w), 2)
adult_bands = [(b, w, "assumption", "assumption: split of the 21-64 total (100 - 0-20 - 65+ = "
                f"{share_21_64}%) tilted to younger adults (expansion and parent adults)")
               for b, w in adult_w]
adult_bands.append(("55-64", band_55_64, "assumption",
                    f"assumption: remainder of the 21-64 total ({share_21_64}%) = {band_55_64}"))
old_bands = [("65-74", 5.00, "assumption", "assumption: split of the 65+ total 9% (DHCS Fast Facts "
              f"2018 shape, {CHA_URL}) falling with age"),
             ("75-84", 2.90, "assumption", "assumption: as 65-74"),
             ("85-99", 1.10, "assumption", "assumption: as 65-74; ages over 99 are folded into 85-99")]
for band, share, status, note in child_bands + adult_bands + old_bands:
    src = note
    if band in ("0-0",):
        src += "; " + AGE_SRC_CHILD
    pop.append(("age_band", band, "", share, status, src))
ages = {b: s for b, s, _, _ in child_bands + adult_bands + old_bands}
assert abs(sum(ages.values()) - 100) < 1e-9, sum(ages.values())


def age_share(lo, hi):
    """Share of the population aged lo..hi from the bands (bands must align)."""
    tot = 0.0
    for band, share in ages.items():
        a, b = map(int, band.split("-"))
        if a >= lo and b <= hi:
            tot += share
        elif not (b < lo or a > hi):
            # partial band: spread evenly over its years
            ov = min(b, hi) - max(a, lo) + 1
            tot += share * ov / (b - a + 1)
    return tot


s0_20 = age_share(0, 20)
s21_64 = age_share(21, 64)
s65 = age_share(65, 99)
assert abs(s0_20 - share_0_20) < 1e-9

# Sex by age group. Overall female 54% (DHCS 2018), children 49% (assumption), 65+ 60% (assumption);
# 21-64 solved so the total is 54%.
f_child, f_old = 49.0, 60.0
f_adult = round((54.0 - s0_20 / 100 * f_child - s65 / 100 * f_old) / (s21_64 / 100), 2)
arith = (f"54 = {s0_20:.2f}% x 49 + {s21_64:.2f}% x F + {s65:.2f}% x 60 -> F = {f_adult}")
pop += [
    ("sex", "female", "age_band=0-20", f_child, "assumption",
     "assumption: 49% female among children (slightly more boys are born; sex ratio ~1.05)"),
    ("sex", "male", "age_band=0-20", 100 - f_child, "assumption", "assumption: 100 - female"),
    ("sex", "female", "age_band=21-64", f_adult, "derived",
     f"solved so that overall female = 54% (DHCS Fast Facts 2018, {CHA_URL}): {arith}"),
    ("sex", "male", "age_band=21-64", round(100 - f_adult, 2), "derived", "100 - female"),
    ("sex", "female", "age_band=65-99", f_old, "assumption",
     "assumption: 60% female among seniors (longer female life expectancy; more women in aged aid)"),
    ("sex", "male", "age_band=65-99", 100 - f_old, "assumption", "assumption: 100 - female"),
]

# Race/ethnicity: Hispanic 52% (UCLA 2025); others from the 2018 shape rescaled to 48%.
RACE_2018 = [("white", 19.0), ("other_unknown", 13.0), ("asian_pacific_islander", 10.0),
             ("black", 8.0), ("american_indian_alaska_native", 0.5)]
non_hisp_2018 = sum(v for _, v in RACE_2018)
pop.append(("race", "hispanic", "", 52.0, "sourced",
            "UCLA LPPI/CHPR Apr-2025 from DHCS data: Latinos are 52% of Medi-Cal enrollees "
            "https://latino.ucla.edu/research/facts-about-medi-cal-beneficiaries"))
race_vals = {k: round(v * 48.0 / non_hisp_2018, 2) for k, v in RACE_2018}
race_vals["white"] = round(48.0 - sum(v for k, v in race_vals.items() if k != "white"), 2)
for k, _ in RACE_2018:
    note = (f"derived: 2018 share ({dict(RACE_2018)[k]:g}%) x 48/{non_hisp_2018:g} (non-Hispanic "
            f"shares of DHCS Fast Facts 2018 rescaled to 100 - 52; {CHA_URL})")
    status = "derived"
    if k == "american_indian_alaska_native":
        note += "; the 2018 figure is '<1', taken as 0.5 (assumption)"
        status = "assumption"
    if k == "other_unknown":
        note += "; 2018 'not reported' (13%)"
    if k == "white":
        note += "; absorbs the rounding residual"
    pop.append(("race", k, "", race_vals[k], status, note))

# Language (primary language, DHCS threshold-language counts Jul-2024).
LANG_NOTE = f"DHCS threshold-language certified eligibles Jul-2024 ({LANG_URL}, {MIRROR})"
lang = {"spanish": 27.80, "vietnamese": 1.27, "chinese": round(0.89 + 0.62, 2)}
other_threshold = 0.66 + 0.54 + 0.31 + 0.30 + 0.22 + 0.13 + 0.08 + 0.05  # 2.29
lang["other"] = round(other_threshold + 1.0, 2)
lang["english"] = round(100 - lang["spanish"] - lang["vietnamese"] - lang["chinese"] - lang["other"], 2)
pop += [
    ("language", "english", "", lang["english"], "derived",
     "derived: remainder (100 - the other categories); includes unknown/unreported language"),
    ("language", "spanish", "", lang["spanish"], "derived",
     f"derived: 4,151,823 / 14,909,860 = 27.8% (lower bound: counties where Spanish is not a "
     f"threshold language count 0); {LANG_NOTE}"),
    ("language", "vietnamese", "", lang["vietnamese"], "derived",
     f"derived: 189,879 / 14,909,860 (8 threshold counties; lower bound); {LANG_NOTE}"),
    ("language", "chinese", "", lang["chinese"], "derived",
     f"derived: Cantonese 0.89% + Mandarin 0.62% (6 threshold counties each; lower bound); {LANG_NOTE}"),
    ("language", "other", "", lang["other"], "assumption",
     f"threshold languages Armenian .66 + Russian .54 + Farsi .31 + Korean .30 + Arabic .22 + "
     f"Tagalog .13 + Hmong .08 + Cambodian .05 = 2.29% (derived, lower bound) + 1.0 point assumed "
     f"for speakers outside threshold counties and other languages; {LANG_NOTE}"),
]
non_spanish = 100 - lang["spanish"]
COUNTY_SPANISH = {
    "Los Angeles": (32.9, "1,352,482 / 4,114,277"), "Imperial": (56.8, "57,250 / 100,859"),
    "Tulare": (34.4, "103,541 / 301,154"), "Fresno": (25.9, "142,054 / 548,090"),
    "San Francisco": (20.0, "51,153 / 255,725"),
}
for county, (sp, frac) in COUNTY_SPANISH.items():
    f = (100 - sp) / non_spanish
    vals = {k: round(lang[k] * f, 2) for k in ("vietnamese", "chinese", "other")}
    vals["english"] = round(100 - sp - sum(vals.values()), 2)
    given = f"county={county}"
    pop.append(("language", "spanish", given, sp, "derived",
                f"derived: {frac} county certified eligibles Jul-2024; {LANG_NOTE}"))
    for k in ("english", "vietnamese", "chinese", "other"):
        pop.append(("language", k, given, vals[k], "assumption",
                    f"assumption: statewide share x (100 - {sp}) / {non_spanish:.2f} (county mix of "
                    f"non-Spanish languages taken as statewide; understates e.g. Chinese in San "
                    f"Francisco)"))

# Aid category by age, from the DHCS 2018 aid mix (shares of all certified eligibles):
# parent/caretaker+child 39, ACA expansion 29, SPD 15, CHIP 10, undocumented 5, adoption/foster 1,
# other 1. Undocumented -> expansion; CHIP, foster -> child; other -> adult_parent.
s0_18 = age_share(0, 18)
s19_64 = age_share(19, 64)
dis_child_pct = 2.0   # assumption: SSI-linked disabled children
aged_old_pct = 90.0   # assumption: 65+ in aged aid codes; the rest keep disabled codes
child_total = s0_18 * (100 - dis_child_pct) / 100
disabled_child = s0_18 * dis_child_pct / 100
aged_total = s65 * aged_old_pct / 100
disabled_old = s65 - aged_total
disabled_adult = 15.0 - aged_total - disabled_old - disabled_child
parents = 39.0 - (child_total - 10.0 - 1.0) + 1.0
expansion = 29.0 + 5.0
assert abs(parents + expansion + disabled_adult - s19_64) < 1e-6, (parents, expansion, disabled_adult, s19_64)
p_parent = round(parents / s19_64 * 100, 2)
p_dis = round(disabled_adult / s19_64 * 100, 2)
p_exp = round(100 - p_parent - p_dis, 2)
AID_SRC = f"DHCS Fast Facts 2018 aid mix ({CHA_URL})"
aid_arith = (f"0-18 = {s0_18:.2f}% of eligibles; child = {child_total:.2f}, of which CHIP 10 + foster 1 "
             f"-> {child_total - 11:.2f} from parent/caretaker+child 39, leaving parents "
             f"{39 - (child_total - 11):.2f} + other 1 = {parents:.2f}; expansion = ACA 29 + "
             f"undocumented 5 = 34; disabled 19-64 = SPD 15 - aged {aged_total:.2f} - disabled 65+ "
             f"{disabled_old:.2f} - disabled children {disabled_child:.2f} = {disabled_adult:.2f}; "
             f"divided by 19-64 = {s19_64:.2f}%")
pop += [
    ("aid_category", "child", "age_band=0-18", 100 - dis_child_pct, "assumption",
     f"assumption: all children are in child aid codes (incl. CHIP, foster) except SSI-disabled "
     f"children ({dis_child_pct:g}%); {AID_SRC}"),
    ("aid_category", "adult_parent", "age_band=0-18", 0.0, "assumption", "none by definition"),
    ("aid_category", "adult_expansion", "age_band=0-18", 0.0, "assumption", "none by definition"),
    ("aid_category", "disabled", "age_band=0-18", dis_child_pct, "assumption",
     "assumption: SSI-linked disabled children ~2% of children"),
    ("aid_category", "aged", "age_band=0-18", 0.0, "assumption", "none by definition"),
    ("aid_category", "child", "age_band=19-64", 0.0, "assumption",
     "assumption: ages 19-20 in child aid codes are counted as adults here"),
    ("aid_category", "adult_parent", "age_band=19-64", p_parent, "derived",
     f"derived from the 2018 mix: {parents:.2f} / {s19_64:.2f}; {aid_arith}"),
    ("aid_category", "adult_expansion", "age_band=19-64", p_exp, "derived",
     f"derived: 34 / {s19_64:.2f} (ACA expansion 29 + undocumented 5; the 2024 all-adult expansion "
     f"likely raised this share); {AID_SRC}"),
    ("aid_category", "disabled", "age_band=19-64", p_dis, "derived",
     f"derived: {disabled_adult:.2f} / {s19_64:.2f} (SPD 15% minus aged and other disabled, see "
     f"adult_parent row)"),
    ("aid_category", "aged", "age_band=19-64", 0.0, "assumption", "none by definition"),
    ("aid_category", "child", "age_band=65-99", 0.0, "assumption", "none by definition"),
    ("aid_category", "adult_parent", "age_band=65-99", 0.0, "assumption",
     "assumption: seniors are in aged or disabled aid codes"),
    ("aid_category", "adult_expansion", "age_band=65-99", 0.0, "assumption",
     "none: the ACA expansion covers 19-64"),
    ("aid_category", "disabled", "age_band=65-99", 100 - aged_old_pct, "assumption",
     "assumption: 10% of seniors keep a disabled (SSI) aid code after 65"),
    ("aid_category", "aged", "age_band=65-99", aged_old_pct, "assumption",
     f"assumption: 90% of seniors in aged aid codes; with the other rows the SPD total is "
     f"{aged_total + disabled_old + disabled_child + disabled_adult:.1f}% of eligibles (2018: 15%; "
     f"CHCF 2025: 2.2M = 14.8%)"),
]

groups = {}
for d, c, g, v, st, sr in pop:
    groups.setdefault((d, g), 0.0)
    groups[(d, g)] += v
for k, v in groups.items():
    assert abs(v - 100) <= 0.005, (k, v)
write("population.csv", ["dimension", "category", "given", "share_percent", "status", "source"],
      [[d, c, g, fmt(v), st, ascii_only(sr)] for d, c, g, v, st, sr in pop])

# Export numbers needed by parameters
POP = dict(s0_18=s0_18, s19_64=s19_64, s65=s65, child=child_total, parents=parents,
           expansion=expansion, disabled=disabled_adult + disabled_child + disabled_old,
           aged=aged_total)

# ---------------------------------------------------------------- parameters.csv
P = []  # key, value, unit, low, high, status, source, notes


def par(key, value, unit, status, source, notes="", low=None, high=None):
    P.append([key, repr(value) if isinstance(value, float) else str(value), unit,
              "" if low is None else (repr(low) if isinstance(low, float) else str(low)),
              "" if high is None else (repr(high) if isinstance(high, float) else str(high)),
              status, source, notes])


QWI = "https://www.dhcs.ca.gov/services/Pages/quality-withhold-and-incentive-program.aspx"
AAIP = "https://www.dhcs.ca.gov/provgovpart/Pages/MgdCareAAIncentive.aspx"
EPT = "https://www.dhcs.ca.gov/qphm/pages/eptprogram.aspx"
CHCF_SPEND = "https://wixlib.com/document/61fab_medi-cal-explained-maternity-care-collections-nlm-nih-gov.html"
CHCF_27483 = "https://www.chcf.org/?p=27483"
CHCF_COUNTY = "https://www.chcf.org/publication/californias-county-based-health-plans-2024-edition/"
UCLA_FF = ("https://healthpolicy.ucla.edu/our-work/publications/medi-cal-facts-and-figures-essential-"
           "source-coverage-millions")
HCAI_PC = ("https://hcai.ca.gov/california-sets-benchmarks-for-primary-care-investment-to-promote-"
           "high-quality-equitable-health-care")
CR_FAQ = "https://www.dhcs.ca.gov/CalAIM/Pages/Community-Reinvestment-FAQ.aspx"
WIC_14016 = "https://www.lawserver.com/law/state/california/codes/california_welfare_institutions_code_14016-55"
CHCF_BIRTH = "https://www.chcf.org/publication/maternity-care-paying-for-maternity-services/"

# QWI
par("qwi.withhold_fraction", 0.005, "fraction of capitation", "sourced", QWI,
    "0.50% of lower-bound certified capitation (before add-ons, excl. maternity supplemental), CY2024")
par("qwi.program_start_year", 2024, "calendar year", "sourced", QWI, "scored on MY2024")
par("qwi.max_points", 100, "points", "sourced", QWI,
    "stored text truncated after 'ten': likely 10 measures x 10 points (interpretation)")
par("qwi.recommended_withhold_fraction", 0.015, "fraction of capitation", "sourced", CHCF_27483,
    "CHCF/Aurrera 2025 recommendation 1.0-2.0% (not the current rule); value = midpoint", 0.01, 0.02)
# MCAS
par("mcas.mpl_percentile", 50, "national Medicaid percentile", "sourced", CCF_URL,
    "MPL = national Medicaid 50th percentile since MY2021 (raised from the 25th)")
par("mcas.hpl_percentile", 90, "national Medicaid percentile", "estimate", CCF_URL,
    "HPL = 90th percentile (analyst knowledge; not seen in a stored page)", 90, 90)
par("mcas.sanctions_total_my2024_usd", 1500000, "USD", "sourced", DHCS_MY2024_URL,
    "about $1.5M in MY2024 (down more than 50% from MY2023)")
par("mcas.sanctions_total_my2023_usd", 3100000, "USD", "sourced", DHCS_MY2024_URL)
par("mcas.sanctions_total_my2021_usd", 2300000, "USD", "sourced", CCF_URL,
    "22 of 25 plans sanctioned for MY2021 (first year at the 50th percentile)")
par("mcas.plans_sanctioned_my2024", 14, "plans", "sourced", DHCS_MY2024_URL, "14 of 22 plans")
par("mcas.plans_rated_my2024", 22, "plans", "sourced", DHCS_MY2024_URL)
par("mcas.plans_sanctioned_my2023", 18, "plans", "sourced", DHCS_MY2024_URL)
par("mcas.sanction_min_per_plan_my2022_usd", 25000, "USD per plan", "sourced",
    "http://www.counties.org/csac-bulletin-article/dhcs-publishes-quality-ratings-medi-cal-managed-care-plans-and-county",
    "18 of 25 plans fined for MY2022, $25,000-$890,000 each; formula (population, distance below "
    "MPL, trend, HPI) not found")
par("mcas.sanction_max_per_plan_my2022_usd", 890000, "USD per plan", "sourced",
    "http://www.counties.org/csac-bulletin-article/dhcs-publishes-quality-ratings-medi-cal-managed-care-plans-and-county")
par("mcas.measures_held_to_mpl", 18, "measures", "estimate", "analyst knowledge of DHCS MY2024 MCAS",
    "see measures.csv; not verified in a stored page", 15, 20)
# AAIP / default enrollment
par("aaip.default_rate", 0.3, "fraction of new enrollees", "assumption",
    f"not found in any source; the Legislature's target is at most 20% per county (WIC 14016.55, "
    f"{WIC_14016}); early Two-Plan rollout saw up to 80% (1996); the shared data suggests 20-40%",
    "share of new enrollees in multi-plan counties who do not choose a plan and are auto-assigned",
    0.1, 0.5)
par("aaip.default_rate_target_max", 0.2, "fraction of new enrollees", "sourced", WIC_14016,
    "legislative intent: default rate <= 20% in any county; >= 20% two months running triggers a survey")
par("aaip.ab85_penalty_max_fraction", 0.25, "fraction of default allocation", "sourced", AAIP,
    "a plan out of compliance with AB 85 safety-net PCP assignment may lose up to 25%")
par("aaip.share_floor", 0.25, "fraction of county default enrollees", "assumption",
    "illustrative simulator default from the shared data (the DHCS score-to-share formula was not found)",
    "two-plan counties: share_i = clamp(0.5 + k (score_i - score_j), floor, cap)", 0.1, 0.4)
par("aaip.share_cap", 0.75, "fraction of county default enrollees", "assumption",
    "illustrative simulator default from the shared data (the DHCS formula was not found)",
    "see aaip.share_floor", 0.6, 0.9)
# Community reinvestment
par("reinvestment.tier1_fraction", 0.05, "fraction of net income", "estimate-unverified",
    f"unverified recollection of the 2024 MCP contract (APL 25-004; {CR_FAQ})",
    "seed text 004 says plans reinvest 7.5-15% of net income; verify against APL 25-004", 0.05, 0.075)
par("reinvestment.tier2_fraction", 0.075, "fraction of net income", "estimate-unverified",
    f"unverified recollection of the 2024 MCP contract (APL 25-004; {CR_FAQ})",
    "applies to net income above a threshold (not found); seed text 004 says 7.5-15%", 0.075, 0.15)
# Churn, births, enrollment
par("churn.annual_disenrollment_fraction", 0.12, "fraction per year", "assumption",
    "steady-state churn not found (Labor Center analysis not in stored excerpt); unwinding "
    "disenrolled ~2M of ~15M over ~13 months (~13%/yr, SSRS) as an upper anchor",
    "members leaving Medi-Cal per year outside the unwinding", 0.1, 0.15)
par("churn.unwinding_disenrolled", 2000000, "persons", "sourced",
    "https://ssrs.com/news/lessons-from-the-medi-cal-unwinding-enrollee-experiences-and-how-they-would-fix-renewals/",
    "Apr-2023 to May-2024; two-thirds procedural")
par("churn.ex_parte_rate", 0.63, "fraction of renewals", "sourced", "https://americanlegaljournal.com/?p=31726",
    "automatic (ex parte) renewal rate after the unwinding flexibilities")
par("births.ca_per_year", 500000, "births per year", "sourced", CHCF_BIRTH, "'almost 500,000'")
par("births.medi_cal_share", 0.5, "fraction of CA births", "sourced", CHCF_BIRTH,
    "'nearly one in two' (CHCF); 'more than 50%' (UCLA 2021)", 0.48, 0.52)
par("births.medi_cal_per_year", 250000, "births per year", "derived",
    f"500,000 CA births x 0.5 Medi-Cal share ({CHCF_BIRTH})",
    "range from a 0.48-0.52 share", 240000, 260000)
par("enrollment.certified_eligibles_2024_06", 14913748, "persons", "sourced", f"{ELIG_URL} ({MIRROR})",
    "58 counties 14,913,710 + 38 in a suppressed-cell row")
par("enrollment.certified_eligibles_2023_05", 16051565, "persons", "sourced", f"{ELIG_URL} ({MIRROR})",
    "statewide peak before the unwinding")
par("enrollment.certified_eligibles_2025_12", 14429663, "persons", "sourced", f"{ELIG_URL} ({MIRROR})",
    "preliminary")
par("enrollment.managed_care_total_2024_06", 13972847, "members", "sourced", f"{MCER_URL} ({MIRROR})",
    "medical MCPs incl. Kaiser; = sum of plans.csv")
par("enrollment.managed_care_share", 0.937, "fraction of certified eligibles", "derived",
    f"13,972,847 / 14,913,748 (Jun-2024; {MCER_URL} ; {ELIG_URL})",
    "the rest are fee-for-service; a DHCS official said 99% by 2024 (counts differ in scope)")
par("enrollment.kaiser_2024_06", 1115691, "members", "sourced", f"{MCER_URL} ({MIRROR})", "32 counties")
par("population.dual_share", 0.11, "fraction of certified eligibles", "sourced", CHA_URL,
    "Medicare-Medi-Cal duals, DHCS Fast Facts ~2018 (dated)")
par("population.seniors_and_disabled_2025", 2200000, "persons", "sourced",
    "https://www.chcf.org/resource/defending-medi-cal-2025/medi-cal-basics")
par("coverage.adult_expansion_26_49_year", 2024, "calendar year", "sourced",
    "https://sandbox.data.ca.gov/dataset/medi-cal-adult-full-scope-expansion-programs/7f557c23-8b24-46a6-8f36-56e9b0ec8c73",
    "full scope for adults 26-49 regardless of immigration status from 2024-01-01")
# Practices
par("practice.mean_panel_members", 2000, "Medi-Cal members per practice", "assumption",
    "assumption: a typical primary-care practice panel; EPT cohort 1 cross-check: 2.3M members / 211 "
    "practices = ~10,900 per practice, but that cohort is 42% FQHCs (large sites)",
    "mean of the lognormal panel-size distribution", 800, 5000)
par("practice.panel_size_sigma_log", 0.8, "log-scale standard deviation", "assumption",
    "assumption: lognormal spread of panel sizes (sigma 0.8 puts the 95th percentile ~3.7x the median, "
    "so a few large clinics/FQHCs hold a large share of members)", "", 0.5, 1.2)
# Spending (sourced) and capitation (estimated)
par("spend.median_annual_childless_adult_usd", 4700, "USD per enrollee-year", "sourced", CHCF_SPEND,
    "CHCF Medi-Cal Explained (2020); spending, not capitation (= 392 USD PMPM)")
par("spend.median_annual_disabled_usd", 19600, "USD per enrollee-year", "sourced", CHCF_SPEND,
    "CHCF (2020) (= 1,633 USD PMPM)")
par("spend.median_per_live_birth_usd", 7000, "USD per birth", "sourced", CHCF_SPEND,
    "excludes prenatal and postpartum care")
par("spend.disabled_enrollee_share", 0.09, "fraction of enrollees", "sourced", UCLA_FF, "FY2019-20")
par("spend.disabled_spending_share", 0.31, "fraction of spending", "sourced", UCLA_FF, "FY2019-20")
par("spend.total_sfy2024_25_usd", 161000000000, "USD per year", "sourced", CHCF_27483,
    "all Medi-Cal spending incl. FFS, LTC and supplemental payments")
par("spend.all_in_pmpm_usd", 906, "USD per member-month", "derived",
    f"161e9 / 14.8M enrollees / 12 = 906 ({CHCF_27483})", "not a capitation rate")
par("county_plans.revenue_2022_usd", 37000000000, "USD per year", "sourced", CHCF_COUNTY,
    "county-based plans; 9.8M enrollees (Jun-2023); 2022 margin 2.7%")
par("county_plans.revenue_pmpm_usd", 315, "USD per member-month", "derived",
    f"37e9 / 9.8M / 12 = 315 ({CHCF_COUNTY}); year mismatch 2022 revenue vs 2023 enrollment",
    "anchor for the mean capitation", 280, 360)

# Capitation PMPM by aid category (2024 dollars). Not found; estimated from CHCF/UCLA spending:
cap_exp = round(4700 / 12)                       # 392
cap_dis = round(19600 / 12 * 0.7)                 # 1143
cap_child = round(cap_exp * 0.35)                 # 137
cap_parent = round(cap_exp * 0.85)                # 333
cap_aged = round(cap_dis * 0.6)                   # 686
mix = dict(child=POP["child"], adult_parent=POP["parents"], adult_expansion=POP["expansion"],
           disabled=POP["disabled"], aged=POP["aged"])
mean_cap = (mix["child"] * cap_child + mix["adult_parent"] * cap_parent +
            mix["adult_expansion"] * cap_exp + mix["disabled"] * cap_dis + mix["aged"] * cap_aged) / 100
CAP_NOTE = (f"enrollment-weighted mean of the five rates with the population.csv aid mix = "
            f"{mean_cap:.0f} USD PMPM vs 315 (county plans 2022 revenue) x 1.035^2 = 337 for 2024: "
            f"within 15%")
par("capitation.adult_expansion_pmpm_usd", cap_exp, "USD per member-month", "estimate",
    f"CHCF median annual spending per childless adult 4,700 / 12 = 392 ({CHCF_SPEND}); median "
    f"spending used as the capitation level", CAP_NOTE, 300, 550)
par("capitation.adult_parent_pmpm_usd", cap_parent, "USD per member-month", "estimate",
    "0.85 x adult_expansion (assumption: parents are younger, with similar costs) = 333",
    CAP_NOTE, 250, 450)
par("capitation.child_pmpm_usd", cap_child, "USD per member-month", "estimate",
    "0.35 x adult_expansion (assumption: children cost about a third of adults) = 137",
    CAP_NOTE, 100, 200)
par("capitation.disabled_pmpm_usd", cap_dis, "USD per member-month", "estimate",
    f"CHCF median annual spending per disabled enrollee 19,600 / 12 = 1,633 x 0.7 (assumption: share "
    f"of spending in the plan capitation; IHSS, specialty mental health and dental are carved out) = "
    f"1,143 ({CHCF_SPEND})", CAP_NOTE, 800, 1650)
par("capitation.aged_pmpm_usd", cap_aged, "USD per member-month", "estimate",
    "0.6 x disabled (assumption: most seniors are Medicare duals, so Medi-Cal pays secondary; LTC is "
    "in the rate since 2023) = 686", CAP_NOTE, 400, 1000)
par("capitation.mean_pmpm_usd", 337, "USD per member-month", "derived",
    f"county plans 2022 revenue 315 USD PMPM ({CHCF_COUNTY}) x 1.035^2 (OHCA 3.5%/yr growth target "
    f"as rate growth, assumption) = 337", "cross-check for the per-category rates", 300, 450)
# EPT
par("ept.total_original_usd", 700000000, "USD", "sourced", EPT, "original one-time program")
par("ept.total_revised_usd", 140000000, "USD", "sourced", EPT, "final SFY 2024-25 budget")
par("ept.mcp_planning_incentive_usd", 25000000, "USD", "sourced", EPT, "paid to plans in 2023")
par("ept.provider_directed_payments_revised_usd", 97000000, "USD", "sourced", EPT,
    "over 3 years (original design: 650M over 5 years)")
par("ept.payment_years_revised", 3, "years", "sourced", EPT)
par("ept.payment_years_original", 5, "years", "sourced", EPT)
par("ept.per_practice_payment_min_usd", 375000, "USD per practice", "sourced",
    "https://www.lacare.org/news/news-releases/la-care-proud-welcome-46-primary-care-practices-serving-medi-cal-patients",
    "original design, over 5 years; the revised budget implies smaller payments")
par("ept.per_practice_payment_max_usd", 10000000, "USD per practice", "sourced",
    "https://www.lacare.org/news/news-releases/la-care-proud-welcome-46-primary-care-practices-serving-medi-cal-patients",
    "original design, over 5 years")
par("ept.practices_applied", 719, "practices", "sourced",
    "https://www.dhcs.ca.gov/qphm/Pages/EPTprogramcohort1selectionmethodology.aspx")
par("ept.practices_accepted", 211, "practices", "sourced",
    "https://www.dhcs.ca.gov/qphm/Pages/EPTprogramcohort1selectionmethodology.aspx",
    "L.A. Care's release says 207; 51% small independent, 42% FQHC, 4% large systems, 5% tribal",
    207, 211)
par("ept.enrollees_covered", 2300000, "members", "sourced", "https://pophealthlearningcenter.org/ept-overview/",
    "members served by participating practices")
par("ept.counties_covered", 52, "counties", "sourced", "https://pophealthlearningcenter.org/ept-overview/")
# Primary care and spending targets
par("primary_care.spend_target_fraction", 0.15, "fraction of total health spending", "sourced", HCAI_PC,
    "OHCA benchmark for 2034")
par("primary_care.current_spend_fraction", 0.07, "fraction of total health spending", "sourced", HCAI_PC,
    "current California level (approximate)")
par("primary_care.annual_improvement_points", 0.5, "percentage points per year", "sourced", HCAI_PC,
    "per-plan benchmark 0.5-1.0 points a year to 2033; value = minimum", 0.5, 1.0)
par("ohca.spending_growth_target_2025", 0.035, "fraction per year", "sourced",
    "https://hcai.ca.gov/statewide-health-care-spending-target-approval-is-key-step-towards-improving-health-care-affordability-for-californians/",
    "3.5% (2025-26), 3.2% (2027-28), 3.0% (2029+)")
par("network.primary_care_max_miles", 10, "miles", "sourced",
    "http://leginfo.legislature.ca.gov/faces/codes_displayText.xhtml?lawCode=WIC&division=9.&title=&part=3.&chapter=7.&article=6.3",
    "WIC 14197: or 30 minutes")
par("network.primary_care_max_minutes", 30, "minutes", "sourced",
    "http://leginfo.legislature.ca.gov/faces/codes_displayText.xhtml?lawCode=WIC&division=9.&title=&part=3.&chapter=7.&article=6.3")


# ---------------------------------------------------------------- simulator behaviour (assumptions)
# Rates that drive the member-month model: churn, births and deaths, conditions, control states,
# utilization, costs and the variation of service propensity. None of them is in the shared data
# (except where a row says derived); each is an assumption with the reasoning in `source` and a
# plausible range in low/high.
CERT_ELIG_2024_06 = 14913748
MEDI_CAL_BIRTHS = 250000


def rng(v, frac, nd=4):
    """(low, high) = value -/+ frac, rounded."""
    return round(v * (1 - frac), nd), round(v * (1 + frac), nd)


# Churn: re-enrollment of former members.
d_month = 1 - (1 - 0.12) ** (1 / 12)
enrolled_share = 0.04 / (0.04 + d_month)
par("churn.monthly_reenrollment_probability", 0.04, "probability per month", "assumption",
    "assumption: not found in the shared data; chosen so that with churn.annual_disenrollment_"
    f"fraction 0.12 (monthly exit {d_month:.4f}) the steady state keeps {enrolled_share:.0%} of the "
    "ever-enrolled pool enrolled at a time (r / (r + d))",
    "monthly probability that a disenrolled former member re-enrolls", 0.02, 0.08)

# Vital rates.
births_rate = round(MEDI_CAL_BIRTHS / CERT_ELIG_2024_06 * 1000, 2)
par("vital.births_per_1000_member_years", births_rate, "births per 1000 member-years", "derived",
    f"births.medi_cal_per_year 250,000 (500,000 CA births x 0.5 Medi-Cal share, {CHCF_BIRTH}) / "
    f"14,913,748 certified eligibles Jun-2024 ({ELIG_URL}, {MIRROR}) x 1000 = {births_rate}",
    "the simulator scales fertility.relative_* to hit this rate; range +-15% (the 0.48-0.52 "
    "Medi-Cal share and births to members counted in other months)",
    *rng(births_rate, 0.15, 2))


def age_share_years(lo, hi):
    return age_share(lo, min(hi, 99)) / 100


def gompertz(age):
    return 1 - math.exp(-math.exp(-9.6 + 0.085 * (age + 0.5)))


crude_gompertz = sum(ages[b] / 100 / (int(b.split("-")[1]) - int(b.split("-")[0]) + 1) *
                     (0.0045 if a == 0 else gompertz(a))
                     for b in ages for a in range(int(b.split("-")[0]), int(b.split("-")[1]) + 1))
serious_prev = (age_share_years(18, 44) * 0.005 + age_share_years(45, 64) * 0.03 +
                age_share_years(65, 120) * 0.08)
crude_model = (crude_gompertz + serious_prev * 0.15) * 1000
MORT_CHECK = (f"cross-check: the Gompertz and infant hazards over the population.csv ages give "
              f"{crude_gompertz * 1000:.1f} deaths per 1000 member-years, plus serious illness "
              f"(prevalence {serious_prev:.3f} x excess 0.15) = {crude_model:.1f}, above "
              f"vital.deaths_per_1000_member_years 6.0")
par("vital.deaths_per_1000_member_years", 6.0, "deaths per 1000 member-years", "assumption",
    "assumption (no mortality source in the shared data): the California crude death rate was about "
    "7 per 1000 in 2023; Medi-Cal members are younger than the state (9% aged 65+, population.csv) "
    "which lowers the crude rate, while age-specific mortality is higher in a low-income population, "
    "which raises it", MORT_CHECK, 4.0, 9.0)
# Fertility by age (relative to 20-24).
FERT_WHY = ("assumption: shape of age-specific fertility, tilted younger than the all-US shape "
            "(US peaks at 25-34) because Medi-Cal pays for most births to young mothers (73.9% of "
            "births to mothers aged 21 or under in 2022, shared data births.medi_cal_share_moms_21_"
            "under_2022, http://www.cdph.ca.gov/Programs/CFH/DMCAH/Pages/Fiscal/Medi-Cal-Factor-Table-"
            "AFLP.aspx); the scale is solved by the simulator to hit vital.births_per_1000_member_years")
for band, v, lo, hi in [("15_19", 0.35, 0.2, 0.5), ("20_24", 1.0, 1.0, 1.0),
                        ("25_29", 1.05, 0.8, 1.3), ("30_34", 0.85, 0.6, 1.1),
                        ("35_39", 0.45, 0.3, 0.6), ("40_44", 0.1, 0.05, 0.15)]:
    par(f"fertility.relative_{band}", v, "relative to ages 20-24", "assumption", FERT_WHY,
        "reference band (fixed at 1)" if band == "20_24" else
        "female members of these ages; other ages have no births", lo, hi)
# Mortality.
GOMP_WHY = ("assumption: annual death probability 1 - exp(-exp(a + b x age)) for ages >= 1, a "
            "Gompertz curve approximating US period life tables (both sexes, pre-2020): it fits "
            "ages 1-10 and 40-90 within about 25% and understates ages 15-35 (the injury hump) by up "
            "to half")
par("mortality.gompertz_log_hazard_at_0", -9.6, "log annual hazard", "assumption", GOMP_WHY,
    "a: log hazard extrapolated to age 0 (exp(-9.6) = 0.00007)", -10.2, -9.0)
par("mortality.gompertz_slope_per_year", 0.085, "per year of age", "assumption", GOMP_WHY,
    "b: hazard doubles every ln2/0.085 = 8.2 years", 0.075, 0.095)
par("mortality.infant_annual", 0.0045, "probability in the first year of life", "assumption",
    "assumption: California infant mortality is about 4 per 1000 live births; Medi-Cal births "
    "slightly higher", "replaces the Gompertz hazard at age 0", 0.003, 0.006)
par("mortality.serious_illness_annual_excess", 0.15, "annual probability", "assumption",
    "assumption: added annual death probability for members with a serious illness (the SB 1004 "
    "palliative-care population: advanced cancer, heart failure, COPD, liver disease)", "", 0.08, 0.3)
par("mortality.scale", 1.0, "multiplier", "assumption",
    "assumption: multiplier applied after the simulator scales the Gompertz and infant age shape "
    "so that expected deaths per 1000 member-years (serious-illness excess included) equal "
    "vital.deaths_per_1000_member_years; 1.0 = the reference level",
    MORT_CHECK, 0.7, 1.5)
# Conditions: prevalence at synthesis, onset among those without.
PREV_WHY = ("assumption: CHIS/CDC-order-of-magnitude prevalence for a Medicaid population, not from "
            "the shared data")
PREV = [("asthma", "0_17", 0.10), ("asthma", "18_64", 0.09), ("asthma", "65_120", 0.08),
        ("diabetes", "18_44", 0.04), ("diabetes", "45_64", 0.16), ("diabetes", "65_120", 0.25),
        ("hypertension", "18_44", 0.12), ("hypertension", "45_64", 0.40),
        ("hypertension", "65_120", 0.62),
        ("mental_illness", "12_17", 0.10), ("mental_illness", "18_120", 0.18),
        ("substance_use", "13_17", 0.03), ("substance_use", "18_120", 0.08),
        ("serious_illness", "18_44", 0.005), ("serious_illness", "45_64", 0.03),
        ("serious_illness", "65_120", 0.08)]
INC = {("asthma", "0_17"): 0.012, ("asthma", "18_64"): 0.004, ("asthma", "65_120"): 0.004,
       ("diabetes", "18_44"): 0.003, ("diabetes", "45_64"): 0.012, ("diabetes", "65_120"): 0.015,
       ("hypertension", "18_44"): 0.01, ("hypertension", "45_64"): 0.03,
       ("hypertension", "65_120"): 0.04,
       ("mental_illness", "12_17"): 0.02, ("mental_illness", "18_120"): 0.02,
       ("substance_use", "13_17"): 0.01, ("substance_use", "18_120"): 0.01,
       ("serious_illness", "18_44"): 0.001, ("serious_illness", "45_64"): 0.006,
       ("serious_illness", "65_120"): 0.015}
COND_NOTE = {"mental_illness": "depression or serious mental illness",
             "serious_illness": "cancer, heart failure, COPD or liver disease (SB 1004)"}
for cond, band, v in PREV:
    lo_age, hi_age = band.split("_")
    who = f"members aged {lo_age}-{hi_age}" if hi_age != "120" else f"members aged {lo_age}+"
    note = f"share of {who} with {cond.replace('_', ' ')}"
    if cond in COND_NOTE:
        note += f" ({COND_NOTE[cond]})"
    par(f"prevalence.{cond}_{band}", v, "fraction of members", "assumption", PREV_WHY,
        note + " at synthesis", *rng(v, 0.4))
for cond, band, _ in PREV:
    v = INC[(cond, band)]
    par(f"incidence.{cond}_{band}_per_year", v, "annual probability", "assumption",
        "assumption: annual onset among members without the condition, chosen so that prevalence "
        "rises with age roughly as the prevalence.* rows; not from the shared data",
        f"band {band.replace('_', '-')} years", *rng(v, 0.5, 5))
# Remission: annual probability of leaving a condition; with onset i and remission r the
# long-run prevalence is i / (i + r) (asthma 0.004/(0.004+0.04) = 0.09 in adults, mental illness
# 0.02/(0.02+0.09) = 0.18, substance use 0.01/(0.01+0.12) = 0.077).
REM = [("asthma", 0.04, 0.02, 0.08), ("diabetes", 0.0, 0.0, 0.0), ("hypertension", 0.0, 0.0, 0.0),
       ("mental_illness", 0.09, 0.05, 0.15), ("substance_use", 0.12, 0.06, 0.2),
       ("serious_illness", 0.0, 0.0, 0.0)]
for cond, v, lo, hi in REM:
    par(f"remission.{cond}_per_year", v, "annual probability", "assumption",
        "assumption: annual probability that a member with the condition no longer has it (asthma "
        "outgrown or quiescent, depression or substance use in remission); chronic conditions and "
        "serious illness do not remit; chosen so onset and remission keep prevalence near the "
        "prevalence.* rows", "long-run prevalence = onset / (onset + remission)", lo, hi)
SI_WHY = ("assumption: split of the serious-illness (SB 1004) population by the four qualifying "
          "conditions; cancer and heart failure most common")
for cond, v, lo, hi in [("cancer", 0.35, 0.25, 0.45), ("heart_failure", 0.30, 0.2, 0.4),
                        ("copd", 0.25, 0.15, 0.35), ("liver", 0.10, 0.05, 0.15)]:
    par(f"serious_illness.share_{cond}", v, "fraction of members with a serious illness",
        "assumption", SI_WHY, "the four shares sum to 1", lo, hi)
# Control states: monthly two-state Markov chains.
CTRL_WHY = ("assumption: steady-state share and mean time in a state of a monthly two-state Markov "
            "chain; national Medicaid CBP and GSD rates put about 60-70% of hypertensive members "
            "controlled and 30-40% of diabetic members in poor control")
par("control.bp_controlled_share", 0.70, "fraction of members with hypertension", "assumption",
    CTRL_WHY, "steady-state share with blood pressure controlled (<140/90)", 0.55, 0.80)
par("control.bp_mean_sojourn_months", 6, "months", "assumption", CTRL_WHY,
    "mean time in a blood-pressure state before switching", 3, 12)
par("control.a1c_poor_share", 0.30, "fraction of members with diabetes", "assumption", CTRL_WHY,
    "steady-state share with HbA1c > 9%", 0.20, 0.45)
par("control.a1c_mean_sojourn_months", 6, "months", "assumption", CTRL_WHY,
    "mean time in an HbA1c state before switching", 3, 12)
# Utilization.
UTIL_WHY = "assumption: order of magnitude for a Medicaid managed-care population; not in the shared data"
par("utilization.ed_visits_per_member_year", 0.55, "ED visits per member-year", "assumption",
    UTIL_WHY + " (Medicaid adults and children together use roughly 0.4-0.8 ED visits a year)",
    "base rate before the condition multipliers", 0.40, 0.80)
par("utilization.ed_multiplier_mental_illness", 1.8, "multiplier", "assumption", UTIL_WHY,
    "ED rate multiplier for members with mental illness", 1.4, 2.5)
par("utilization.ed_multiplier_substance_use", 2.2, "multiplier", "assumption", UTIL_WHY,
    "ED rate multiplier for members with a substance use disorder", 1.5, 3.0)
par("utilization.ed_multiplier_serious_illness", 2.5, "multiplier", "assumption", UTIL_WHY,
    "ED rate multiplier for members with a serious illness", 1.5, 3.5)
par("utilization.ed_mental_health_visits_per_affected_member_year", 0.25,
    "ED visits per member-year", "assumption", UTIL_WHY,
    "ED visits with a mental-illness diagnosis among members with mental illness (FUM-30 events)",
    0.15, 0.40)
par("utilization.ed_substance_use_visits_per_affected_member_year", 0.30,
    "ED visits per member-year", "assumption", UTIL_WHY,
    "ED visits with a substance-use diagnosis among members with a substance use disorder (FUA-30 "
    "events)", 0.15, 0.50)
par("utilization.inpatient_admissions_per_1000_member_years", 70, "admissions per 1000 member-years",
    "assumption", UTIL_WHY, "non-delivery admissions before the serious-illness multiplier", 50, 100)
par("utilization.inpatient_multiplier_serious_illness", 4.0, "multiplier", "assumption", UTIL_WHY,
    "admission rate multiplier for members with a serious illness", 2.5, 6.0)
par("utilization.inpatient_mean_los_days", 4.5, "days", "assumption", UTIL_WHY,
    "mean length of a non-delivery stay", 3.5, 6.0)
par("utilization.delivery_los_days", 2, "days", "assumption", UTIL_WHY,
    "length of a delivery stay (vaginal ~2, cesarean ~3-4 days)", 1.5, 3.0)
# Costs.
COST_WHY = ("assumption: plan-paid cost in 2024 dollars; no Medi-Cal unit-cost source in the shared "
            "data. Unit costs and the base fraction are set together so that simulated medical "
            "cost is about 88% of the mean capitation (a medical-loss ratio near the county plans' "
            "2022 figures: 2.7% margin, administration ~5% of revenue)")
par("cost.ed_visit_usd", 800, "USD per visit", "assumption", COST_WHY,
    "facility and professional together", 500, 1500)
par("cost.inpatient_day_usd", 2500, "USD per day", "assumption", COST_WHY,
    "Medicaid per-diem order of magnitude", 1800, 3500)
par("cost.delivery_usd", 7000, "USD per delivery", "derived",
    f"= spend.median_per_live_birth_usd 7,000 (CHCF Medi-Cal Explained, 2020, {CHCF_SPEND})",
    "median, excludes prenatal and postpartum care; 2020 dollars not inflated; range +-20%",
    5600, 8400)
par("cost.serious_illness_monthly_usd", 1500, "USD per member-month", "assumption", COST_WHY,
    "added monthly cost of a member with a serious illness (outside ED and inpatient events)",
    800, 3000)
par("cost.base_medical_fraction_of_capitation", 0.49, "fraction of capitation", "assumption",
    "assumption: share of the capitation PMPM that is routine medical cost (office visits, "
    "pharmacy, outpatient) before the simulated ED, inpatient, delivery and serious-illness "
    f"costs, chosen so the simulated plan margin (after 5.1% administration) is near the county "
    f"plans' 2022 margin of 2.7% ({CHCF_COUNTY})", COST_WHY, 0.3, 0.6)
# Asthma medication ratio.
par("amr.reliever_fills_per_month", 0.15, "fills per member-month", "assumption",
    "assumption: reliever (short-acting beta agonist) fills among members with asthma; controller "
    "fills follow the service propensity", "", 0.08, 0.3)
# Variation of service propensity (logit scale).
VAR_WHY = ("assumption: spread of the logistic service-propensity model (DESIGN.md section 6); sized so "
           "plan rates scatter around the MPL as 14 of 22 plans sanctioned in MY2024 suggests")
par("variation.county_sd_logit", 0.15, "logit", "assumption", VAR_WHY,
    "standard deviation of the county effect", 0.05, 0.3)
par("variation.plan_sd_logit", 0.20, "logit", "assumption", VAR_WHY,
    "standard deviation of the plan effect", 0.1, 0.4)
par("variation.practice_tier_spread_logit", 0.30, "logit", "assumption", VAR_WHY,
    "four practice quality tiers at -spread, -spread/3, +spread/3, +spread", 0.15, 0.6)
BG_SOURCES = ("https://www.dhcs.ca.gov/hm/services/Pages/quality-withhold-and-incentive-program.aspx ; "
              + DHCS_MY2024_URL)
DISP_WHY = ("assumption: group effect on service propensity; the DHCS Bold Goals in the shared data "
            "(mcas_measures.csv bold_goal: BG1 close racial/ethnic disparities in well-child visits "
            "and immunizations by 50%, BG2 close the maternity-care disparity for Black and Native "
            f"American persons by 50%; {BG_SOURCES}) single out Black and Native American members")
for group, v, lo, hi in [("black", -0.25, -0.5, 0.0), ("american_indian_alaska_native", -0.20, -0.5, 0.0),
                         ("hispanic", -0.05, -0.2, 0.1), ("asian_pacific_islander", 0.0, -0.15, 0.15),
                         ("white", 0.0, 0.0, 0.0), ("other_unknown", -0.05, -0.2, 0.1)]:
    par(f"disparity.{group}_logit", v, "logit", "assumption", DISP_WHY,
        "reference group (fixed at 0)" if group == "white" else
        "added to the logit of every service propensity for this race/ethnicity group", lo, hi)

keys = [p[0] for p in P]
assert len(keys) == len(set(keys))
for p in P:
    if p[5] in ("estimate", "estimate-unverified", "assumption"):
        assert p[3] != "" and p[4] != "", p[0]
write("parameters.csv", ["key", "value", "unit", "low", "high", "status", "source", "notes"], P)
print("mean capitation", round(mean_cap, 1), "mix", {k: round(v, 2) for k, v in mix.items()})
