#include "io/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <sstream>
#include <variant>

#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"
#include "sim/host_parallel.hpp"
#include "sim/uncertainty.hpp"

namespace phsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// P(T > t) for t ≥ 0, Student's t with `df` degrees of freedom.
double student_t_upper_tail(double t, double df) {
  return 0.5 * regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

double student_t_quantile(double p, int df) {
  PHSIM_EXPECTS(df >= 1, "student_t_quantile: df must be >= 1", UsageError);
  PHSIM_EXPECTS(p > 0.0 && p < 1.0, "student_t_quantile: p must lie in (0, 1)", UsageError);
  if (p == 0.5) return 0.0;
  if (p < 0.5) return -student_t_quantile(1.0 - p, df);
  constexpr double pi = 3.14159265358979323846;
  if (df == 1) return std::tan(pi * (p - 0.5));
  if (df == 2) return (2.0 * p - 1.0) / std::sqrt(2.0 * p * (1.0 - p));
  // Bisection on the upper tail, which decreases in t.
  const double tail = 1.0 - p;
  double lo = 0.0, hi = 1.0;
  while (student_t_upper_tail(hi, df) > tail) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 0.0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (student_t_upper_tail(mid, df) > tail) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

std::string to_string(IntervalMethod m) {
  switch (m) {
    case IntervalMethod::Percentile:
      return "percentile";
    case IntervalMethod::StudentT:
      return "t";
    case IntervalMethod::None:
      break;
  }
  return "none";
}

PairedSummary summarize_differences(const std::vector<double>& differences) {
  std::vector<double> x;
  x.reserve(differences.size());
  for (double d : differences) {
    if (std::isfinite(d)) x.push_back(d);
  }
  PairedSummary s;
  s.n = x.size();
  s.low = s.high = kNaN;
  if (x.empty()) {
    s.mean = kNaN;
    return s;
  }
  double sum = 0.0;
  for (double v : x) sum += v;
  s.mean = sum / static_cast<double>(x.size());
  if (x.size() >= kPercentileIntervalMinReplicates) {
    s.method = IntervalMethod::Percentile;
    s.low = percentile_linear(x, 0.025);
    s.high = percentile_linear(x, 0.975);
  } else if (x.size() >= 2) {
    s.method = IntervalMethod::StudentT;
    double ss = 0.0;
    for (double v : x) ss += (v - s.mean) * (v - s.mean);
    const double n = static_cast<double>(x.size());
    const double sd = std::sqrt(ss / (n - 1.0));
    const double half = student_t_quantile(0.975, static_cast<int>(x.size()) - 1) * sd / std::sqrt(n);
    s.low = s.mean - half;
    s.high = s.mean + half;
  }
  return s;
}

// ---- compare_results ----------------------------------------------------------------------------

namespace {

/// A variable summed over every dimension but scenario, replicate, year, the group dimension (when
/// there is one) and measure (when kept); laid out [scenario][replicate][year][group][measure].
struct Table {
  std::size_t S = 0, R = 0, Y = 0, G = 1, M = 1;
  std::vector<double> v;
  double at(std::size_t s, std::size_t r, std::size_t y, std::size_t g, std::size_t m = 0) const {
    return v[(((s * R + r) * Y + y) * G + g) * M + m];
  }
};

std::vector<double> read_as_double(const ResultsReader& reader, const std::string& var) {
  try {
    const auto ints = reader.read_int64(var);
    return std::vector<double>(ints.begin(), ints.end());
  } catch (const IoError&) {
    return reader.read_float64(var);
  }
}

/// Sums `var` down to a Table; nullopt when it lacks the group dimension. Throws IoError when it
/// lacks scenario, replicate or year (or measure when `keep_measure`).
std::optional<Table> aggregate(const ResultsReader& reader, const std::string& path,
                               const std::string& var, const std::string& group_dim,
                               bool keep_measure) {
  const auto dims = reader.dims_of(var);
  const auto shape = reader.shape(var);
  PHSIM_EXPECTS(dims.size() == shape.size(),
                path + ": variable '" + var + "' has " + std::to_string(shape.size()) +
                    " axes but " + std::to_string(dims.size()) + " dimension scales",
                IoError);
  const auto axis = [&](const std::string& d) -> std::optional<std::size_t> {
    const auto it = std::find(dims.begin(), dims.end(), d);
    if (it == dims.end()) return std::nullopt;
    return static_cast<std::size_t>(it - dims.begin());
  };
  std::vector<std::string> required = {"scenario", "replicate", "year"};
  if (keep_measure) required.push_back("measure");
  for (const auto& d : required) {
    PHSIM_EXPECTS(axis(d).has_value(),
                  path + ": variable '" + var + "' has no '" + d + "' dimension", IoError);
  }
  if (!group_dim.empty() && !axis(group_dim)) return std::nullopt;

  Table t;
  t.S = shape[*axis("scenario")];
  t.R = shape[*axis("replicate")];
  t.Y = shape[*axis("year")];
  if (!group_dim.empty()) t.G = shape[*axis(group_dim)];
  if (keep_measure) t.M = shape[*axis("measure")];
  std::vector<std::size_t> out_stride(dims.size(), 0);
  out_stride[*axis("scenario")] = t.R * t.Y * t.G * t.M;
  out_stride[*axis("replicate")] = t.Y * t.G * t.M;
  out_stride[*axis("year")] = t.G * t.M;
  if (!group_dim.empty()) out_stride[*axis(group_dim)] = t.M;
  if (keep_measure) out_stride[*axis("measure")] = 1;
  t.v.assign(t.S * t.R * t.Y * t.G * t.M, 0.0);

  const std::vector<double> values = read_as_double(reader, var);
  std::size_t total = 1;
  for (auto n : shape) total *= n;
  PHSIM_EXPECTS(values.size() == total, path + ": variable '" + var + "' has an inconsistent size",
                IoError);
  if (total == 0) return t;
  // Odometer over the variable's axes, keeping the output offset in step.
  std::vector<std::size_t> idx(dims.size(), 0);
  std::size_t o = 0;
  for (std::size_t i = 0; i < total; ++i) {
    t.v[o] += values[i];
    for (std::size_t k = dims.size(); k-- > 0;) {
      if (++idx[k] < shape[k]) {
        o += out_stride[k];
        break;
      }
      o -= out_stride[k] * (shape[k] - 1);
      idx[k] = 0;
    }
  }
  return t;
}

/// One quantity of base and alt per replicate (NaN = undefined in that replicate).
struct PairedValues {
  std::vector<double> base, alt;
};

/// A row from paired values: means of base and alt over the replicates where both are defined,
/// and the summary of their differences.
CompareRow make_row(std::int64_t year, const std::string& group, CompareKind kind,
                    const std::string& variable, const std::string& quantity,
                    const PairedValues& pv) {
  CompareRow row;
  row.year = year;
  row.group = group;
  row.kind = kind;
  row.variable = variable;
  row.quantity = quantity;
  std::vector<double> diff(pv.base.size(), kNaN);
  double sb = 0.0, sa = 0.0;
  std::size_t n = 0;
  for (std::size_t r = 0; r < pv.base.size(); ++r) {
    if (!std::isfinite(pv.base[r]) || !std::isfinite(pv.alt[r])) continue;
    diff[r] = pv.alt[r] - pv.base[r];
    sb += pv.base[r];
    sa += pv.alt[r];
    ++n;
  }
  row.base_mean = n ? sb / static_cast<double>(n) : kNaN;
  row.alt_mean = n ? sa / static_cast<double>(n) : kNaN;
  row.difference = summarize_differences(diff);
  return row;
}

const std::vector<std::string>& money_variable_names() {
  static const std::vector<std::string> names = {
      "capitation_usd",   "withhold_usd",          "withhold_returned_usd",
      "incentive_usd",    "sanction_usd",          "medical_cost_usd",
      "admin_cost_usd",   "quality_effort_cost_usd", "net_income_usd",
      "reinvestment_usd", "intervention_cost_usd", "practice_incentive_usd"};
  return names;
}

}  // namespace

CompareResult compare_results(const std::string& path, const CompareOptions& o) {
  PHSIM_EXPECTS(o.by == "none" || o.by == "county" || o.by == "plan",
                "--by: expected county, plan or none, got '" + o.by + "'", UsageError);
  PHSIM_EXPECTS(!o.base.empty() && !o.alt.empty(), "compare: --base and --alt are required",
                UsageError);
  const ResultsReader reader(path);
  const auto dims = reader.dimensions();
  PHSIM_EXPECTS(std::find(dims.begin(), dims.end(), "scenario") != dims.end(),
                path + ": no 'scenario' dimension; phsim compare needs a results file written by "
                       "'phsim run' (with two or more scenarios)",
                IoError);
  for (const char* d : {"replicate", "year", "measure"}) {
    PHSIM_EXPECTS(std::find(dims.begin(), dims.end(), d) != dims.end(),
                  path + ": no '" + std::string(d) + "' dimension; not a phsim results file",
                  IoError);
  }
  for (const char* v : {"measure_numerator", "measure_denominator"}) {
    PHSIM_EXPECTS(reader.has(v), path + ": no variable '" + std::string(v) + "'", IoError);
  }
  const auto scenarios = reader.labels("scenario");
  PHSIM_EXPECTS(o.base != o.alt,
                "--base and --alt name the same scenario '" + o.base +
                    "'; choose two different scenarios of " + path + " (" + join(scenarios) + ")",
                UsageError);
  const auto find_scenario = [&](const std::string& flag, const std::string& name) {
    const auto it = std::find(scenarios.begin(), scenarios.end(), name);
    PHSIM_EXPECTS(it != scenarios.end(),
                  flag + ": no scenario '" + name + "' in " + path + "; its scenarios are: " +
                      join(scenarios),
                  UsageError);
    return static_cast<std::size_t>(it - scenarios.begin());
  };
  const std::size_t sb = find_scenario("--base", o.base);
  const std::size_t sa = find_scenario("--alt", o.alt);

  const auto all_measures = reader.labels("measure");
  std::vector<std::size_t> measure_idx;
  if (o.measure.empty()) {
    for (std::size_t m = 0; m < all_measures.size(); ++m) measure_idx.push_back(m);
  } else {
    const auto it = std::find(all_measures.begin(), all_measures.end(), o.measure);
    PHSIM_EXPECTS(it != all_measures.end(),
                  "--measure: no measure '" + o.measure + "' in " + path + "; measures: " +
                      join(all_measures),
                  UsageError);
    measure_idx.push_back(static_cast<std::size_t>(it - all_measures.begin()));
  }

  CompareResult res;
  res.path = path;
  res.base = o.base;
  res.alt = o.alt;
  res.by = o.by;
  for (auto m : measure_idx) res.measures.push_back(all_measures[m]);
  {
    // The measure dimension's `inverse` attribute (an array of one reads back as a scalar).
    const Attributes ma = reader.attributes("measure");
    std::vector<std::int64_t> inverse;
    if (const auto it = ma.find("inverse"); it != ma.end()) {
      if (const auto* v = std::get_if<std::vector<std::int64_t>>(&it->second)) inverse = *v;
      if (const auto* v = std::get_if<std::int64_t>(&it->second)) inverse = {*v};
    }
    for (auto m : measure_idx) {
      if (m < inverse.size() && inverse[m] != 0) res.inverse_measures.push_back(all_measures[m]);
    }
  }
  const std::vector<std::int64_t> years = reader.read_int64("year");
  const std::string group_dim = o.by == "none" ? "" : o.by;
  std::vector<std::string> groups = {""};
  if (!group_dim.empty()) {
    PHSIM_EXPECTS(std::find(dims.begin(), dims.end(), group_dim) != dims.end(),
                  path + ": no '" + group_dim + "' dimension for --by " + o.by, IoError);
    groups = reader.labels(group_dim);
  }

  const auto num = aggregate(reader, path, "measure_numerator", group_dim, true);
  const auto den = aggregate(reader, path, "measure_denominator", group_dim, true);
  PHSIM_EXPECTS(num && den, path + ": measure tallies have no '" + group_dim + "' dimension",
                IoError);
  PHSIM_EXPECTS(num->S == scenarios.size() && num->Y == years.size() && num->G == groups.size() &&
                    den->v.size() == num->v.size(),
                path + ": measure tallies do not match the file's dimensions", IoError);
  res.replicates = num->R;
  res.method = res.replicates >= kPercentileIntervalMinReplicates ? IntervalMethod::Percentile
                : res.replicates >= 2                                 ? IntervalMethod::StudentT
                                                                      : IntervalMethod::None;

  std::vector<std::pair<std::string, Table>> money;
  for (const auto& name : money_variable_names()) {
    if (!reader.has(name)) continue;
    res.money_variables.push_back(name);
    auto t = aggregate(reader, path, name, group_dim, false);
    if (!t) continue;  // not broken down by the group: statewide only, not reported here
    PHSIM_EXPECTS(t->S == num->S && t->R == num->R && t->Y == num->Y && t->G == num->G,
                  path + ": variable '" + name + "' does not match the measure tallies' shape",
                  IoError);
    money.emplace_back(name, std::move(*t));
  }
  res.has_intervention_cost = reader.has("intervention_cost_usd");
  // Cost of quality: intervention + practice incentive + plan quality effort, where present.
  std::optional<Table> cost;
  bool cost_complete = true;
  if (res.has_intervention_cost) {
    for (const char* name : {"intervention_cost_usd", "practice_incentive_usd",
                             "quality_effort_cost_usd"}) {
      if (!reader.has(name)) continue;
      const auto it = std::find_if(money.begin(), money.end(),
                                   [&](const auto& p) { return p.first == name; });
      if (it == money.end()) {
        cost_complete = false;  // not available by this group
        continue;
      }
      if (!cost) {
        cost = it->second;
      } else {
        for (std::size_t i = 0; i < cost->v.size(); ++i) cost->v[i] += it->second.v[i];
      }
    }
  }

  const std::size_t R = res.replicates;
  PairedValues pv;
  pv.base.resize(R);
  pv.alt.resize(R);
  for (std::size_t y = 0; y < years.size(); ++y) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      for (std::size_t m : measure_idx) {
        for (std::size_t r = 0; r < R; ++r) {
          const double db = den->at(sb, r, y, g, m), da = den->at(sa, r, y, g, m);
          pv.base[r] = db > 0 ? 100.0 * num->at(sb, r, y, g, m) / db : kNaN;
          pv.alt[r] = da > 0 ? 100.0 * num->at(sa, r, y, g, m) / da : kNaN;
        }
        res.rows.push_back(make_row(years[y], groups[g], CompareKind::Rate, all_measures[m],
                                    "rate " + all_measures[m] + " (%)", pv));
      }
      for (const auto& [name, t] : money) {
        for (std::size_t r = 0; r < R; ++r) {
          pv.base[r] = t.at(sb, r, y, g);
          pv.alt[r] = t.at(sa, r, y, g);
        }
        res.rows.push_back(make_row(years[y], groups[g], CompareKind::Money, name, name, pv));
      }
      for (std::size_t m : measure_idx) {
        for (std::size_t r = 0; r < R; ++r) {
          pv.base[r] = num->at(sb, r, y, g, m);
          pv.alt[r] = num->at(sa, r, y, g, m);
        }
        res.rows.push_back(make_row(years[y], groups[g], CompareKind::Events, all_measures[m],
                                    "numerator events " + all_measures[m], pv));
      }
      if (!cost || !cost_complete) continue;
      for (std::size_t m : measure_idx) {
        CompareRow row;
        row.year = years[y];
        row.group = groups[g];
        row.kind = CompareKind::CostPerEvent;
        row.variable = all_measures[m];
        row.quantity = "USD per additional event " + all_measures[m];
        row.base_mean = row.alt_mean = kNaN;
        std::vector<double> ratio(R, kNaN);
        bool defined = R > 0;
        for (std::size_t r = 0; r < R; ++r) {
          const double dn = num->at(sa, r, y, g, m) - num->at(sb, r, y, g, m);
          if (dn == 0.0) {
            defined = false;
            break;
          }
          ratio[r] = (cost->at(sa, r, y, g) - cost->at(sb, r, y, g)) / dn;
        }
        if (defined) {
          row.difference = summarize_differences(ratio);
        } else {
          row.difference = PairedSummary{kNaN, kNaN, kNaN, IntervalMethod::None, 0};
        }
        res.rows.push_back(std::move(row));
      }
    }
  }
  return res;
}

// ---- formatting ---------------------------------------------------------------------------------

namespace {

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.000"
  return s;
}

int decimals_of(CompareKind k) {
  switch (k) {
    case CompareKind::Rate:
      return 3;
    case CompareKind::Money:
      return 0;
    case CompareKind::Events:
      return 1;
    case CompareKind::CostPerEvent:
      return 2;
  }
  return 3;
}

std::string kind_name(CompareKind k) {
  switch (k) {
    case CompareKind::Rate:
      return "rate_percent";
    case CompareKind::Money:
      return "usd";
    case CompareKind::Events:
      return "events";
    case CompareKind::CostPerEvent:
      return "usd_per_additional_event";
  }
  return "";
}

std::string full(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string interval_description(const CompareResult& r) {
  switch (r.method) {
    case IntervalMethod::Percentile:
      return "2.5th and 97.5th percentiles of the " + std::to_string(r.replicates) +
             " paired differences (linear interpolation)";
    case IntervalMethod::StudentT:
      return "mean +/- t(0.975, " + std::to_string(r.replicates - 1) + ") * sd / sqrt(" +
             std::to_string(r.replicates) + ") of the paired differences (Student's t; fewer than " +
             std::to_string(kPercentileIntervalMinReplicates) + " replicates)";
    case IntervalMethod::None:
      break;
  }
  return "n/a (one replicate)";
}

}  // namespace

std::string format_compare_table(const CompareResult& r) {
  const bool grouped = r.by != "none";
  std::vector<std::string> header = {"year"};
  if (grouped) header.push_back(r.by);
  for (const char* h : {"quantity", "base mean", "alt mean", "difference", "95% low", "95% high"}) {
    header.emplace_back(h);
  }
  std::vector<std::vector<std::string>> cells;
  bool any_note = false;
  std::vector<std::string> notes;
  for (const auto& row : r.rows) {
    const int d = decimals_of(row.kind);
    std::vector<std::string> c = {std::to_string(row.year)};
    if (grouped) c.push_back(row.group);
    c.push_back(row.quantity);
    const bool ratio = row.kind == CompareKind::CostPerEvent;
    c.push_back(ratio ? "-" : fixed(row.base_mean, d));
    c.push_back(ratio ? "-" : fixed(row.alt_mean, d));
    c.push_back(fixed(row.difference.mean, d));
    c.push_back(fixed(row.difference.low, d));
    c.push_back(fixed(row.difference.high, d));
    std::string note;
    if (std::isfinite(row.difference.mean) && row.difference.n != r.replicates) {
      note = std::to_string(row.difference.n) + " of " + std::to_string(r.replicates) +
             " replicates (" + to_string(row.difference.method) + ")";
      any_note = true;
    }
    notes.push_back(note);
    cells.push_back(std::move(c));
  }
  if (any_note) header.emplace_back("note");
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (std::size_t k = 0; k < cells.size(); ++k) {
    if (any_note) cells[k].push_back(notes[k]);
    for (std::size_t i = 0; i < cells[k].size(); ++i) width[i] = std::max(width[i], cells[k][i].size());
  }
  const std::size_t first_number = grouped ? 3 : 2;
  const std::size_t note_col = any_note ? header.size() - 1 : header.size();
  const auto line = [&](const std::vector<std::string>& c) {
    std::string s;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const std::size_t pad = width[i] - c[i].size();
      const bool right = i == 0 || (i >= first_number && i < note_col);
      if (i) s += "  ";
      if (right) s += std::string(pad, ' ') + c[i];
      else s += c[i] + (i + 1 < c.size() ? std::string(pad, ' ') : std::string());
    }
    return s + "\n";
  };

  std::ostringstream os;
  os << "phsim compare: " << r.path << "\n"
     << "  difference = alt '" << r.alt << "' - base '" << r.base << "', paired by replicate ("
     << r.replicates << " replicate" << (r.replicates == 1 ? "" : "s") << "), "
     << (grouped ? "by " + r.by : std::string("statewide")) << "\n"
     << "  95% interval: " << interval_description(r) << "\n"
     << "  rates in percent (differences in percentage points); money in USD; events are measure "
        "numerator events\n";
  if (!r.inverse_measures.empty()) {
    os << "  lower is better for " << join(r.inverse_measures) << "\n";
  }
  if (r.has_intervention_cost) {
    os << "  USD per additional event = change in (intervention_cost_usd + practice_incentive_usd + "
          "quality_effort_cost_usd) / change in numerator events, per replicate\n";
  }
  os << "\n" << line(header);
  std::size_t total = 0;
  for (std::size_t i = 0; i < width.size(); ++i) total += width[i] + (i ? 2 : 0);
  os << std::string(total, '-') << "\n";
  for (const auto& c : cells) os << line(c);
  return os.str();
}

std::string format_compare_csv(const CompareResult& r) {
  const bool grouped = r.by != "none";
  std::ostringstream os;
  os << "year";
  if (grouped) os << "," << r.by;
  os << ",quantity,kind,variable,base_mean,alt_mean,difference_mean,interval_low,interval_high,"
        "replicates,interval_method\n";
  for (const auto& row : r.rows) {
    const bool ratio = row.kind == CompareKind::CostPerEvent;
    os << row.year;
    if (grouped) os << "," << csv_field(row.group);
    os << "," << csv_field(row.quantity) << "," << kind_name(row.kind) << ","
       << csv_field(row.variable) << "," << (ratio ? "" : full(row.base_mean)) << ","
       << (ratio ? "" : full(row.alt_mean)) << "," << full(row.difference.mean) << ","
       << full(row.difference.low) << "," << full(row.difference.high) << "," << row.difference.n
       << "," << to_string(row.difference.method) << "\n";
  }
  return os.str();
}

// ---- summaries written to every results file ----------------------------------------------------

RateSummaries compute_rate_summaries(const std::vector<std::int64_t>& numerator,
                                     const std::vector<std::int64_t>& denominator,
                                     const RateShape& sh) {
  const std::size_t CPM = sh.counties * sh.plans * sh.measures;
  const std::size_t total = sh.scenarios * sh.replicates * sh.years * CPM;
  PHSIM_EXPECTS(numerator.size() == total && denominator.size() == total,
                "compute_rate_summaries: tallies do not match the shape", UsageError);
  RateSummaries out;
  const std::size_t cells = sh.scenarios * sh.years * CPM;
  out.mean.assign(cells, kNaN);
  out.p025.assign(cells, kNaN);
  out.p975.assign(cells, kNaN);
  out.statewide.assign(sh.scenarios * sh.replicates * sh.years * sh.measures, kNaN);
  // Cells in blocks on the host's threads; a block reads each replicate's run of its cells.
  constexpr std::size_t kBlock = 64;
  const std::size_t blocks = (CPM + kBlock - 1) / kBlock;
  parallel_for_host(sh.scenarios * sh.years * blocks, [&](std::size_t task) {
    const std::size_t sy = task / blocks, s = sy / sh.years, y = sy % sh.years;
    const std::size_t first = task % blocks * kBlock, n = std::min(kBlock, CPM - first);
    std::vector<std::vector<double>> rates(n);
    for (std::size_t r = 0; r < sh.replicates; ++r) {
      const std::size_t i = ((s * sh.replicates + r) * sh.years + y) * CPM + first;
      for (std::size_t c = 0; c < n; ++c) {
        if (denominator[i + c] > 0) {
          rates[c].push_back(static_cast<double>(numerator[i + c]) / static_cast<double>(denominator[i + c]));
        }
      }
    }
    for (std::size_t c = 0; c < n; ++c) {
      if (rates[c].empty()) continue;
      const UncertaintySummary u = summarize(rates[c]);
      const std::size_t o = (s * sh.years + y) * CPM + first + c;
      out.mean[o] = u.mean;
      out.p025[o] = u.p025;
      out.p975[o] = u.p975;
    }
  });
  for (std::size_t s = 0; s < sh.scenarios; ++s) {
    for (std::size_t y = 0; y < sh.years; ++y) {
      for (std::size_t r = 0; r < sh.replicates; ++r) {
        const std::size_t base = ((s * sh.replicates + r) * sh.years + y) * CPM;
        for (std::size_t m = 0; m < sh.measures; ++m) {
          std::int64_t n = 0, d = 0;
          for (std::size_t cp = 0; cp < sh.counties * sh.plans; ++cp) {
            n += numerator[base + cp * sh.measures + m];
            d += denominator[base + cp * sh.measures + m];
          }
          if (d > 0) {
            out.statewide[((s * sh.replicates + r) * sh.years + y) * sh.measures + m] =
                static_cast<double>(n) / static_cast<double>(d);
          }
        }
      }
    }
  }
  return out;
}

void write_rate_summaries(ResultsWriter& w, const std::vector<std::int64_t>& numerator,
                          const std::vector<std::int64_t>& denominator, const RateShape& shape) {
  const RateSummaries s = compute_rate_summaries(numerator, denominator, shape);
  const std::vector<std::string> sycpm = {"scenario", "year", "county", "plan", "measure"};
  const std::string method = "linear interpolation between order statistics";
  const auto attrs = [&](const std::string& long_name) {
    return Attributes{{"units", std::string("1")},
                      {"long_name", long_name},
                      {"percentile_method", method}};
  };
  w.write("measure_rate_mean", sycpm, s.mean,
          attrs("mean over replicates of measure_numerator / measure_denominator (replicates with "
                "denominator 0 skipped; NaN where every denominator is 0)"));
  w.write("measure_rate_p025", sycpm, s.p025,
          attrs("2.5th percentile over replicates of measure_numerator / measure_denominator "
                "(replicates with denominator 0 skipped; NaN where every denominator is 0)"));
  w.write("measure_rate_p975", sycpm, s.p975,
          attrs("97.5th percentile over replicates of measure_numerator / measure_denominator "
                "(replicates with denominator 0 skipped; NaN where every denominator is 0)"));
  w.write("measure_rate_statewide", {"scenario", "replicate", "year", "measure"}, s.statewide,
          {{"units", std::string("1")},
           {"long_name", std::string("statewide rate: measure_numerator / measure_denominator, "
                                     "each summed over county and plan (NaN where the summed "
                                     "denominator is 0)")}});
}

}  // namespace phsim
