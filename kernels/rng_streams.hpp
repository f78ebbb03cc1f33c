#pragma once
/// @file Every random stream in phsim, listed once. APPEND-ONLY: never renumber or reuse a value,
/// or results for a given seed change.
///
/// A Philox key is (seed, stream); the counter is (member_id, month, replicate, block). Every
/// decision owns a fixed word of a fixed block (documented where the stream is used), so
/// changing one rule's probabilities never shifts another rule's numbers (common random numbers
/// between scenarios, DESIGN.md §5). Values marked "reserved" are not drawn from today.
#include <cstdint>

namespace phsim {

enum class RngStream : std::uint32_t {
  Synthesis = 1,       ///< population synthesis: age, sex, race, language, aid category, practice
  Churn = 2,           ///< reserved
  NewEnrollee = 3,     ///< reserved
  Birth = 4,           ///< attributes of newborns (kernels/newborn.hpp)
  Death = 5,           ///< reserved
  Pregnancy = 6,       ///< reserved
  Condition = 7,       ///< reserved
  Service = 8,         ///< service events of measures (kernels/measures.hpp: ServiceDraws)
  Utilization = 9,     ///< reserved
  Parameter = 10,      ///< per-replicate draws of uncertain parameters
  Intervention = 11,   ///< intervention engagement
  Assignment = 12,     ///< reserved
  Dynamics = 13,       ///< the monthly member dynamics (kernels/dynamics.hpp: block layout)
  History = 14,        ///< state before the first month (kernels/history.hpp)
};

}  // namespace phsim
