#include "sim/reference_data.hpp"

#include "sim/errors.hpp"

namespace phsim {

std::string_view to_string(PlanModel m) {
  switch (m) {
    case PlanModel::COHS: return "COHS";
    case PlanModel::TwoPlan: return "Two-Plan";
    case PlanModel::GMC: return "GMC";
    case PlanModel::SinglePlan: return "Single Plan";
    case PlanModel::Regional: return "Regional";
  }
  return "unknown";
}

std::optional<std::pair<int, int>> parse_age_range(std::string_view text, int max_age) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view parts[2] = {text.substr(0, dash), text.substr(dash + 1)};
  int value[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    if (parts[i].empty() || parts[i].size() > 3) return std::nullopt;
    for (const char c : parts[i]) {
      if (c < '0' || c > '9') return std::nullopt;
      value[i] = value[i] * 10 + (c - '0');
    }
  }
  if (value[0] > value[1] || value[1] > max_age) return std::nullopt;
  return std::pair<int, int>{value[0], value[1]};
}

namespace {
template <class Range, class Get>
std::optional<int> find_index(const Range& range, std::string_view name, Get get) {
  for (std::size_t i = 0; i < range.size(); ++i) {
    if (get(range[i]) == name) return static_cast<int>(i);
  }
  return std::nullopt;
}
}  // namespace

std::optional<int> ReferenceData::find_county(std::string_view name) const {
  return find_index(counties, name, [](const County& c) -> const std::string& { return c.name; });
}

std::optional<int> ReferenceData::find_plan(std::string_view name) const {
  return find_index(plans, name, [](const Plan& p) -> const std::string& { return p.name; });
}

std::optional<int> ReferenceData::find_measure(std::string_view id) const {
  return find_index(measures, id, [](const Measure& m) -> const std::string& { return m.id; });
}

const Parameter& ReferenceData::parameter(std::string_view key) const {
  for (const auto& p : parameters) {
    if (p.key == key) return p;
  }
  throw DataError(origin + "/parameters.csv: missing parameter '" + std::string(key) + "'");
}

std::int64_t ReferenceData::total_enrollment() const {
  std::int64_t total = 0;
  for (const auto& c : counties) total += c.enrollment;
  return total;
}

}  // namespace phsim
