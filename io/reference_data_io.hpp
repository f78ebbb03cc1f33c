#pragma once
/// @file Reading and validating reference data (DESIGN.md §1): the CSVs in data/ are compiled
/// into the binary; `--data DIR` reads the same schema from a directory. data/README.md lists
/// every column and every rule checked, including each measure's spec columns (parsed into
/// Measure::spec, kernels/measure_spec.hpp, at most kMaxMeasures measures).
#include <string>
#include <string_view>

#include "sim/reference_data.hpp"

namespace phsim {

/// The file names that make up a data set, in load order.
inline constexpr const char* kReferenceFiles[] = {"counties.csv", "plans.csv", "measures.csv",
                                                  "parameters.csv", "population.csv"};

/// The embedded default data set (from data/*.csv at build time).
ReferenceData load_embedded_reference_data();

/// Reads the data set from `dir` (every file of kReferenceFiles must be present). Throws
/// IoError for a missing/unreadable file and DataError for bad content, each naming the file,
/// the line and the column, and saying what was expected there.
ReferenceData load_reference_data(const std::string& dir);

/// Parses a data set from in-memory file texts (file name -> text); `origin` labels messages.
/// Used by both loaders, by tests and by the fuzz target.
ReferenceData parse_reference_data(std::string_view counties_csv, std::string_view plans_csv,
                                   std::string_view measures_csv, std::string_view parameters_csv,
                                   std::string_view population_csv, const std::string& origin);

/// Summary for `phsim data`: counties, plans, contracts, total enrollment, as text.
std::string describe_reference_data(const ReferenceData& data);
/// Summary as JSON: {"origin", "counties":[{name, fips, region, enrollment, plan_model}],
/// "plans":[{name, parent_org, counties:[...], enrollment}], "contracts":[{county, plan,
/// enrollment}], "total_enrollment",
/// "measures":[{id, name, domain, mpl_percent, ...}]}.
std::string describe_reference_data_json(const ReferenceData& data);

}  // namespace phsim
