#pragma once
/// @file The reference data phsim runs on (counties, plans, county-plan contracts, measures,
/// parameters, population marginals), as plain host tables. `io/reference_data_io.hpp` reads it
/// from the embedded CSVs in data/ or from a user's directory with the same schema.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/measure_spec.hpp"

namespace phsim {

/// How managed care is organized in a county (DHCS plan models, 2024).
enum class PlanModel : std::uint8_t { COHS, TwoPlan, GMC, SinglePlan, Regional };

/// "COHS", "Two-Plan", "GMC", "Single Plan", "Regional".
std::string_view to_string(PlanModel m);

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct County {
  std::string name;             ///< e.g. "Los Angeles"
  std::string fips;             ///< 5-digit FIPS, e.g. "06037"
  std::string region;           ///< analysis region (not an official DHCS region)
  PlanModel plan_model;         ///< plan model in 2024
  std::int64_t enrollment = 0;  ///< Medi-Cal certified eligibles (persons)
  std::string enrollment_as_of; ///< "YYYY-MM"
  std::string status;           ///< sourced | derived | estimate | assumption
  std::string source;           ///< URL(s)
};

struct Plan {
  std::string name;       ///< e.g. "L.A. Care Health Plan"
  std::string parent_org; ///< e.g. "Elevance Health"
};

/// One plan's contract in one county: the unit at which members are enrolled and tallied.
struct Contract {
  int county = -1;              ///< index into ReferenceData::counties
  int plan = -1;                ///< index into ReferenceData::plans
  std::string plan_type;        ///< Local Initiative, Commercial, COHS, Kaiser direct contract, ...
  std::int64_t enrollment = 0;  ///< managed-care members in this county and plan
  std::string enrollment_as_of; ///< "YYYY-MM"
  std::string status;
  std::string source;
};

/// A quality measure (MCAS/HEDIS): its identity, benchmarks, and how the simulator counts it.
struct Measure {
  std::string id;      ///< e.g. "W30-6", "GSD>9"
  std::string name;
  std::string domain;  ///< children's health, reproductive/maternal, chronic disease, ...
  bool inverse = false;       ///< lower is better (GSD>9)
  bool held_to_mpl = false;   ///< in the MCAS accountability set
  double mpl_percent = kNaN;  ///< minimum performance level (national Medicaid 50th pct)
  double hpl_percent = kNaN;  ///< high performance level (90th pct)
  double reference_rate_percent = kNaN;  ///< statewide rate the baseline is calibrated to
  std::string reference_rate_basis;      ///< where the reference rate comes from
  std::string status;
  std::string source;
  MeasureSpec spec;        ///< how the simulator counts it (kernels/measure_spec.hpp)
  std::string spec_basis;  ///< how the simplified spec maps onto the published specification
};

/// A named numeric parameter with its unit, plausible range and provenance.
struct Parameter {
  std::string key;     ///< dotted, e.g. "qwi.withhold_fraction"
  double value = 0.0;
  std::string unit;
  double low = kNaN;   ///< lower end of the uncertainty range (NaN when none given)
  double high = kNaN;  ///< upper end
  std::string status;  ///< sourced | derived | estimate | assumption
  std::string source;
  std::string notes;
};

/// One share of a population marginal: P(dimension = category | given).
struct PopulationShare {
  std::string dimension;  ///< age_band | sex | race | language | aid_category
  std::string category;   ///< e.g. "0-0", "female", "hispanic", "spanish", "child"
  std::string given;      ///< "" (statewide) or "county=Los Angeles" or "age_band=19-64"
  double share_percent = 0.0;
  std::string status;
  std::string source;
};

/// Parses an age range "LO-HI" in whole years (inclusive); nullopt unless
/// 0 <= LO <= HI <= max_age and both parts are 1-3 decimal digits.
std::optional<std::pair<int, int>> parse_age_range(std::string_view text, int max_age);

/// All reference data, validated: indices are in range, names are unique, shares sum to 100.
struct ReferenceData {
  std::vector<County> counties;
  std::vector<Plan> plans;
  std::vector<Contract> contracts;  ///< sorted by county, then by order in the file
  std::vector<Measure> measures;
  std::vector<Parameter> parameters;
  std::vector<PopulationShare> population;
  std::string origin;  ///< "embedded" or the directory it was read from

  /// Index of the county with this exact name, or nullopt.
  std::optional<int> find_county(std::string_view name) const;
  /// Index of the plan with this exact name, or nullopt.
  std::optional<int> find_plan(std::string_view name) const;
  /// Index of the measure with this id, or nullopt.
  std::optional<int> find_measure(std::string_view id) const;
  /// The parameter with this key; throws DataError naming the key when absent.
  const Parameter& parameter(std::string_view key) const;
  /// Sum of county enrollment (persons).
  std::int64_t total_enrollment() const;
};

}  // namespace phsim
