#pragma once
/// @file Host side of the intervention engine: resolves `[[intervention]]` settings against the
/// reference data into device tables (whom each intervention reaches, what its effects act on),
/// lists its uncertain parameters for the replicate draws, and computes the program's own costs
/// and practice payments by year.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/interventions.hpp"
#include "sim/config.hpp"
#include "sim/population.hpp"
#include "sim/reference_data.hpp"
#include "sim/step_tables.hpp"
#include "sim/uncertainty.hpp"

namespace phsim {

/// What one effect acts on.
struct ResolvedEffect {
  enum class On { Measures, EdVisits, InpatientAdmissions, PalliativeEnrollment } on = On::Measures;
  std::vector<int> measures;  ///< for On::Measures (a domain expands to its measures)
  std::size_t parameter = 0;  ///< index of its value in InterventionPlan::parameters
};

/// The interventions of a scenario, resolved.
struct InterventionPlan {
  std::vector<InterventionSettings> settings;
  std::vector<std::vector<ResolvedEffect>> effects;  ///< [intervention]
  std::vector<std::uint8_t> contract_mask;           ///< [contract] bit i: reached by i
  std::vector<std::uint8_t> practice_mask;           ///< [practice] bit i
  std::vector<std::vector<int>> practices;           ///< [intervention] practices reached
  std::vector<std::vector<double>> contract_weight;  ///< [intervention][contract] cost shares
  std::vector<UncertainParameter> parameters;        ///< effects, then milestone shares
  std::vector<CorrelationGroup> groups;
  std::vector<std::size_t> milestone_parameter;      ///< [intervention]
};

/// Resolves names against the data (ScenarioError naming `intervention[i].<key>` otherwise).
/// At most kMaxInterventions interventions.
InterventionPlan make_intervention_plan(const std::vector<InterventionSettings>& settings,
                                        const ReferenceData& data, const SynthesisTables& tables);

/// Fills the intervention part of one replicate's step tables from the replicate's parameter
/// values (`values` in plan.parameters order). Strengths start at 0: see set_month.
void apply_interventions(StepTables& step, const InterventionPlan& plan,
                         const std::vector<double>& values);

/// Strength of each intervention in month index `month` (0 before the start and after the
/// end; ramping linearly to 1 over ramp_months).
std::array<double, kMaxInterventions> intervention_strengths(const InterventionPlan& plan,
                                                             std::int32_t month);

/// The program's own costs in one measurement year, per intervention and allocated to contracts
/// (in proportion to the enrollment of the contracts it reaches): the fixed cost and the
/// per-practice cost spread evenly over the program's months, and the practice incentive
/// payments (between the minimum and maximum by panel size, times the replicate's milestone
/// share, spread over the program's months).
struct InterventionYearCosts {
  std::vector<double> program_usd;            ///< [intervention] fixed + per-practice
  std::vector<double> practice_payment_usd;   ///< [intervention]
  std::vector<double> program_by_contract;    ///< [contract]
  std::vector<double> payments_by_contract;   ///< [contract]
};
/// `scale` is the run's share of the published enrollment (members / total enrollment): the
/// costs that do not grow with members (fixed, per practice, practice payments) are scaled by it
/// so that per-member figures and cost per additional event do not depend on the run's size.
InterventionYearCosts intervention_year_costs(const InterventionPlan& plan,
                                              const SynthesisTables& tables,
                                              const std::vector<double>& values, int year,
                                              double scale);

}  // namespace phsim
