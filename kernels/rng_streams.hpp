#pragma once
/// @file Every random stream in phsim, listed once. APPEND-ONLY: never renumber or reuse a value,
/// or results for a given seed change.
///
/// A Philox key is (seed, stream); the counter is (member_id, month, replicate, draw). Each rule
/// draws from its own stream, so changing one rule's probabilities never shifts another rule's
/// numbers (common random numbers between scenarios, DESIGN.md §5).
#include <cstdint>

namespace phsim {

enum class RngStream : std::uint32_t {
  Synthesis = 1,       ///< population synthesis: age, sex, race, language, aid category, practice
  Churn = 2,           ///< disenrollment and re-enrollment
  NewEnrollee = 3,     ///< attributes and plan choice of new enrollees
  Birth = 4,           ///< births to enrolled mothers
  Death = 5,           ///< mortality
  Pregnancy = 6,       ///< conception, delivery, postpartum
  Condition = 7,       ///< chronic and serious-illness onset, control-state transitions
  Service = 8,         ///< preventive and follow-up service events
  Utilization = 9,     ///< ED visits, inpatient days
  Parameter = 10,      ///< per-replicate draws of uncertain parameters
  Intervention = 11,   ///< intervention engagement
  Assignment = 12,     ///< plan choice vs default assignment of new enrollees
};

}  // namespace phsim
