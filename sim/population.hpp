#pragma once
/// @file Host side of population synthesis: turns reference marginals into the integer tables
/// the SynthesizeMember rule reads (kernels/synthesis.hpp).
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/member.hpp"
#include "sim/reference_data.hpp"

namespace phsim {

/// Category names, in enum order (the labels used in data/population.csv and in outputs).
inline constexpr std::array<std::string_view, kSexCount> kSexNames = {"female", "male"};
inline constexpr std::array<std::string_view, kRaceCount> kRaceNames = {
    "hispanic", "white", "black", "asian_pacific_islander", "american_indian_alaska_native",
    "other_unknown"};
inline constexpr std::array<std::string_view, kLanguageCount> kLanguageNames = {
    "english", "spanish", "vietnamese", "chinese", "other"};
inline constexpr std::array<std::string_view, kAidCount> kAidNames = {
    "child", "adult_parent", "adult_expansion", "disabled", "aged"};

/// A synthetic primary-care practice.
struct Practice {
  int county = -1;
  double panel_weight = 0.0;  ///< relative panel size (members choose in proportion)
};

/// Host copies of the synthesis tables (see SynthesisTablesView for the meaning of each).
struct SynthesisTables {
  std::uint64_t members = 0;  ///< members enrolled at the start, per replicate
  std::uint64_t pool = 0;     ///< further members of the pool (not enrolled), per replicate
  std::vector<std::uint64_t> contract_begin;
  std::vector<std::uint64_t> pool_contract_begin;
  std::vector<std::uint8_t> contract_county;
  std::vector<std::uint64_t> age_cum;
  std::vector<std::uint64_t> pool_age_cum;
  std::vector<std::int32_t> age_lo_months;
  std::vector<std::int32_t> age_span_months;
  std::vector<std::uint8_t> sex_group_of_age;
  std::vector<std::uint64_t> female_threshold;
  std::vector<std::uint64_t> race_cum;
  std::vector<std::uint64_t> language_cum;
  std::vector<std::uint8_t> aid_group_of_age;
  std::vector<std::uint64_t> aid_cum;
  std::vector<std::uint32_t> practice_begin;
  std::vector<std::uint32_t> practice_count;
  std::vector<std::uint64_t> practice_cum;
  std::vector<Practice> practices;
};

/// Members of each county and each contract for a population of `members`: county counts are
/// `members × enrollment share` and contract counts within a county follow plan shares, both
/// rounded so that cumulative counts are round(members × cumulative share) (the error of any
/// count is below one member). Returns contract_begin (size contracts + 1).
std::vector<std::uint64_t> stratified_contract_ranges(const ReferenceData& data,
                                                      std::uint64_t members);

/// Synthetic practice list: per county max(1, round(enrollment / practice.mean_panel_members))
/// practices, panel weights lognormal with sigma practice.panel_size_sigma_log at evenly spaced
/// quantiles (deterministic; no random draws).
std::vector<Practice> synthesize_practices(const ReferenceData& data);

/// Builds all tables for `members` enrolled members and `pool` further members of the
/// ever-enrolled pool. `pool_age_factor(lo_months, hi_months)` weights the pool's age bands
/// relative to the enrolled ones (default 1: the same ages). Throws DataError if the data
/// cannot be represented (more than 255 counties, 65535 contracts or practices, missing
/// marginal groups).
SynthesisTables make_synthesis_tables(
    const ReferenceData& data, std::uint64_t members, std::uint64_t pool = 0,
    const std::function<double(int, int)>& pool_age_factor = {});

/// Cumulative integer thresholds (last = 2^32) from non-negative weights (any scale).
std::vector<std::uint64_t> cumulative_thresholds(const std::vector<double>& weights);

}  // namespace phsim
