#pragma once
/// @file Member state layout (DESIGN.md §4): struct of arrays, one element per member per
/// replicate, index = replicate * members_per_replicate + member. Every field is listed once in
/// PHSIM_MEMBER_FIELDS; the device arrays, the raw-pointer view used by kernels, the host copy and
/// the bytes-per-member figure are all generated from that list.
#include <cstdint>

#include "kernels/measure_spec.hpp"
#include "kernels/platform.hpp"

namespace phsim {

/// X(type, name, extent, description). Fields with extent > 1 hold `extent` arrays of
/// `capacity` elements each (element k of member i at [k * stride + i]).
#define PHSIM_MEMBER_FIELDS(X)                                                                \
  X(std::uint32_t, member_id, 1, "stable id within a replicate (RNG counter word 0)")          \
  X(std::uint16_t, contract, 1, "county-plan contract index (ReferenceData::contracts)")       \
  X(std::uint8_t, county, 1, "county index (ReferenceData::counties)")                        \
  X(std::uint16_t, practice, 1, "assigned primary-care practice (global index)")              \
  X(std::int16_t, birth_month, 1, "birth month as months since 1900-01")                       \
  X(std::uint8_t, sex, 1, "Sex")                                                               \
  X(std::uint8_t, race, 1, "Race")                                                             \
  X(std::uint8_t, language, 1, "Language")                                                     \
  X(std::uint8_t, aid, 1, "AidCategory")                                                       \
  X(std::uint8_t, status, 1, "StatusFlags bits")                                              \
  X(std::uint16_t, enrolled_months, 1, "bit m: enrolled in month m (0 = Jan) of this year")   \
  X(std::uint8_t, months_flushed, 1, "member-months already credited to an earlier contract") \
  X(std::uint8_t, conditions, 1, "bit (c - 1) set: has Condition c")                           \
  X(std::uint8_t, clinical, 1, "ClinicalFlags bits and serious-illness type")                 \
  X(std::uint8_t, pregnancy, 1, "PregnancyState: gestation / postpartum month, flags")         \
  X(std::uint8_t, year_ed_visits, 1, "ED visits this year (saturating)")                      \
  X(std::uint16_t, year_inpatient_days, 1, "inpatient days this year (saturating)")          \
  X(std::uint32_t, year_cost_usd, 1, "medical cost this year, whole dollars (saturating)")   \
  X(std::uint32_t, year_capitation_cents, 1, "capitation paid this year, cents (saturating)")\
  X(std::uint32_t, year_program_cost_cents, 1, "intervention cost this year, cents (saturating)")\
  X(std::uint8_t, measure_state, kMaxMeasures, "per-measure state byte (kernels/measures.hpp)")

/// Raw pointers into the member arrays (device or host memory); passed by value to functors.
struct MemberView {
#define PHSIM_VIEW_FIELD(T, name, extent, doc) T* name;
  PHSIM_MEMBER_FIELDS(PHSIM_VIEW_FIELD)
#undef PHSIM_VIEW_FIELD
  std::uint64_t stride;  ///< elements per array (= capacity of all replicates)
};

/// Bytes of state per member slot (sum of the field sizes times their extents).
inline constexpr unsigned kBytesPerMember = 0
#define PHSIM_SIZE_FIELD(T, name, extent, doc) +sizeof(T) * (extent)
    PHSIM_MEMBER_FIELDS(PHSIM_SIZE_FIELD)
#undef PHSIM_SIZE_FIELD
    ;

enum class Sex : std::uint8_t { Female = 0, Male = 1 };
inline constexpr int kSexCount = 2;

enum class Race : std::uint8_t {
  Hispanic = 0,
  White,
  Black,
  AsianPacificIslander,
  AmericanIndianAlaskaNative,
  OtherUnknown
};
inline constexpr int kRaceCount = 6;

enum class Language : std::uint8_t { English = 0, Spanish, Vietnamese, Chinese, Other };
inline constexpr int kLanguageCount = 5;

enum class AidCategory : std::uint8_t { Child = 0, AdultParent, AdultExpansion, Disabled, Aged };
inline constexpr int kAidCount = 5;

/// Bits of MemberView::status.
enum StatusFlags : std::uint8_t {
  kAlive = 1u << 0,              ///< slot holds a living member (empty slots and the dead: 0)
  kEnrolled = 1u << 1,           ///< enrolled in a managed-care plan this month
  kDefaultAssigned = 1u << 2,    ///< current plan was assigned by default (not chosen)
  kDeliveredThisMonth = 1u << 3, ///< gave birth this month while enrolled (newborn pending)
};

/// Bits of MemberView::clinical.
enum ClinicalFlags : std::uint8_t {
  kBpControlled = 1u << 0,  ///< blood pressure below 140/90 (meaningful with hypertension)
  kA1cPoor = 1u << 1,       ///< HbA1c above 9% (meaningful with diabetes)
  kSeriousTypeShift = 2,    ///< bits 2-3: SeriousType when SeriousIllness is present
  kSeriousTypeMask = 3u << 2,
  kPalliative = 1u << 4,    ///< enrolled in a palliative-care program
};

enum class SeriousType : std::uint8_t { Cancer = 0, HeartFailure, Copd, Liver };
inline constexpr int kSeriousTypeCount = 4;

/// MemberView::pregnancy: low 4 bits are the state, bit 7 is spare.
///   0 not pregnant, 1..9 gestation month, 10..12 postpartum month 1..3.
inline constexpr std::uint8_t kPregnancyStateMask = 0x0f;
inline constexpr std::uint8_t kGestationMonths = 9;
inline constexpr std::uint8_t kPostpartumLast = 12;

/// Bit of Condition c in MemberView::conditions.
PHSIM_HD constexpr std::uint8_t condition_bit(Condition c) {
  return c == Condition::None ? 0 : static_cast<std::uint8_t>(1u << (static_cast<int>(c) - 1));
}

/// Months since 1900-01 of (year, month 1..12).
PHSIM_HD inline int month_index(int year, int month) { return (year - 1900) * 12 + (month - 1); }

/// Age in whole years at month index `now` for a member born at month index `birth`.
PHSIM_HD inline int age_years(int birth, int now) { return (now - birth) / 12; }

}  // namespace phsim
