// Fuzz target: CSV bytes -> the CSV reader (io/csv.hpp) and one reference-data table parser
// (io/reference_data_io.hpp). A phsim::Error is the expected way to reject an input; a crash, a
// sanitizer report, any other exception or a parsed table that breaks the reader's promises is
// a finding.
//
// The table is chosen by the header (counties, plans, measures, parameters or population; an
// unknown header goes to one chosen by the input's length, to exercise the header checks). The
// input takes that table's place in parse_reference_data, after embedded tables that make a valid
// context (see context()); the tables after it are left empty, so the parse stops there with a
// DataError once the fuzzed table has been checked.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <string>
#include <string_view>

#include "io/csv.hpp"
#include "io/reference_data_io.hpp"
#include "sim/errors.hpp"

namespace phsim::data {
/// Defined by the generated phsim_data_embedded library (io/CMakeLists.txt; in the fuzz build,
/// tests/fuzz/CMakeLists.txt).
std::string_view embedded_file(const std::string& name);
}  // namespace phsim::data

namespace {

constexpr std::size_t kTables = std::size(phsim::kReferenceFiles);
/// Typed accessors are tried on this many columns (each looks the column up by name, so all of
/// them would make wide inputs quadratic).
constexpr std::size_t kAccessorColumns = 4;

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_csv: %s: %s\n", what, detail.c_str());
  std::abort();
}

template <class F>
void expect_data_error_or_value(F&& f) {
  try {
    f();
  } catch (const phsim::DataError& e) {
    if (std::string_view(e.what()).empty()) finding("empty error message", "");
  }
}

/// The generic reader: records, header width, the strict conversions and the typed accessors.
/// Returns the table's index in kReferenceFiles, or kTables when the input does not parse.
std::size_t read_generic(std::string_view text) {
  phsim::CsvTable table;
  try {
    table = phsim::parse_csv(text, "fuzz.csv");
  } catch (const phsim::DataError& e) {
    if (std::string_view(e.what()).empty()) finding("empty error message", "");
    return kTables;
  }
  std::int64_t last_line = table.header_line;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& record = table.rows[r];
    if (record.fields.size() != table.header.size()) finding("row width", "differs from header");
    if (record.line <= last_line) finding("line numbers", "not increasing");
    last_line = record.line;
    for (const auto& field : record.fields) {
      if (const auto v = phsim::parse_double(field); v && !std::isfinite(*v)) {
        finding("parse_double", "accepted a value that is not finite");
      }
      (void)phsim::parse_int64(field);
      (void)phsim::parse_bool(field);
    }
  }
  // The typed accessors on the last row (their failures throw, which is slow: one row suffices).
  if (!table.rows.empty()) {
    const phsim::CsvRow row(table, table.rows.size() - 1);
    for (std::size_t c = 0; c < table.header.size() && c < kAccessorColumns; ++c) {
      const std::string& column = table.header[c];
      expect_data_error_or_value([&] { (void)row.required_text(column); });
      expect_data_error_or_value([&] { (void)row.int64(column); });
      expect_data_error_or_value([&] { (void)row.number(column); });
      expect_data_error_or_value([&] { (void)row.optional_number(column); });
      expect_data_error_or_value([&] { (void)row.boolean(column); });
    }
  }

  const auto first = [&](std::size_t c) {
    return c < table.header.size() ? std::string_view(table.header[c]) : std::string_view();
  };
  if (first(0) == "county") return first(1) == "plan" ? 1 : 0;
  if (first(0) == "measure_id") return 2;
  if (first(0) == "key") return 3;
  if (first(0) == "dimension") return 4;
  return text.size() % kTables;
}

/// The header and the first data record of `text` (an embedded table: LF line ends).
std::string_view head(std::string_view text) {
  std::size_t end = text.find('\n');
  if (end != std::string_view::npos) end = text.find('\n', end + 1);
  return end == std::string_view::npos ? text : text.substr(0, end + 1);
}

/// The five texts passed to parse_reference_data when the input stands for table `slot`: the
/// tables it depends on in full (plans and population name counties; every county needs a plan),
/// one-row heads of the others before it, and empty texts after it.
using Texts = std::array<std::string_view, kTables>;
Texts context(std::size_t slot) {
  Texts full;
  for (std::size_t i = 0; i < kTables; ++i) {
    full[i] = phsim::data::embedded_file(phsim::kReferenceFiles[i]);
  }
  const bool needs_counties = slot == 1 || slot == 4;
  Texts texts{};
  for (std::size_t i = 0; i < slot; ++i) {
    texts[i] = (needs_counties && i < 2) ? full[i] : head(full[i]);
  }
  // Each context must accept the embedded table in the input's place, so that the seeds reach
  // the checks past the header; the table after it is the one that fails (it is empty).
  texts[slot] = full[slot];
  try {
    (void)phsim::parse_reference_data(texts[0], texts[1], texts[2], texts[3], texts[4], "fuzz");
    if (slot + 1 != kTables) finding("context", "an empty table was accepted");
  } catch (const phsim::DataError& e) {
    const std::string next = slot + 1 < kTables ? phsim::kReferenceFiles[slot + 1] : "";
    if (next.empty() || std::string_view(e.what()).find("fuzz/" + next) != 0) {
      finding("the context rejects the embedded tables", e.what());
    }
  }
  return texts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static const std::array<Texts, kTables> contexts = [] {
    std::array<Texts, kTables> all;
    for (std::size_t slot = 0; slot < kTables; ++slot) all[slot] = context(slot);
    return all;
  }();
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);

  std::size_t slot = kTables;
  try {
    slot = read_generic(text);
  } catch (const std::exception& e) {
    finding("exception that is not a phsim::DataError", e.what());
  }
  if (slot == kTables) return 0;  // parse_csv rejected it; the table parser would too

  Texts texts = contexts[slot];
  texts[slot] = text;
  try {
    (void)phsim::parse_reference_data(texts[0], texts[1], texts[2], texts[3], texts[4], "fuzz");
  } catch (const phsim::Error& e) {
    if (std::string_view(e.what()).empty()) finding("empty error message", "");
  } catch (const std::exception& e) {
    finding("exception that is not a phsim::Error", e.what());
  }
  return 0;
}
