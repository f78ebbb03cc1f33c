#pragma once
/// @file Member state layout (DESIGN.md §4): struct of arrays, one element per member per
/// replicate, index = replicate * members_per_replicate + member. Every field is listed once in
/// PHSIM_MEMBER_FIELDS; the device arrays, the raw-pointer view used by kernels, the host copy and
/// the bytes-per-member figure are all generated from that list.
#include <cstdint>

#include "kernels/platform.hpp"

namespace phsim {

/// X(type, name, description)
#define PHSIM_MEMBER_FIELDS(X)                                                          \
  X(std::uint32_t, member_id, "stable id within a replicate (RNG counter word 0)")       \
  X(std::uint16_t, contract, "county-plan contract index (ReferenceData::contracts)")    \
  X(std::uint8_t, county, "county index (ReferenceData::counties)")                     \
  X(std::uint16_t, practice, "assigned primary-care practice (global index)")           \
  X(std::int16_t, birth_month, "birth month as months since 1900-01")                    \
  X(std::uint8_t, sex, "Sex")                                                            \
  X(std::uint8_t, race, "Race")                                                          \
  X(std::uint8_t, language, "Language")                                                  \
  X(std::uint8_t, aid, "AidCategory")                                                    \
  X(std::uint8_t, enrollment, "EnrollmentFlags bits")

/// Raw pointers into the member arrays (device or host memory); passed by value to functors.
struct MemberView {
#define PHSIM_VIEW_FIELD(T, name, doc) T* name;
  PHSIM_MEMBER_FIELDS(PHSIM_VIEW_FIELD)
#undef PHSIM_VIEW_FIELD
};

/// Bytes of state per member (sum of the field sizes).
inline constexpr unsigned kBytesPerMember = 0
#define PHSIM_SIZE_FIELD(T, name, doc) +sizeof(T)
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

/// Bits of MemberView::enrollment.
enum EnrollmentFlags : std::uint8_t {
  kEnrolled = 1u << 0,         ///< enrolled in a managed-care plan this month
  kDefaultAssigned = 1u << 1,  ///< plan was assigned by default (not chosen)
};

/// Months since 1900-01 of (year, month 1..12).
PHSIM_HD inline int month_index(int year, int month) { return (year - 1900) * 12 + (month - 1); }

/// Age in whole years at month index `now` for a member born at month index `birth`.
PHSIM_HD inline int age_years(int birth, int now) { return (now - birth) / 12; }

}  // namespace phsim
