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
