#pragma once
/// @file A small RFC-4180 CSV reader for the reference data (DESIGN.md §1).
///
/// Accepts: quoted fields with commas, doubled quotes ("") and line breaks inside; LF, CRLF or CR
/// line ends; a UTF-8 byte-order mark; a final line with or without a line break. Empty lines
/// between records are skipped. Rejects, with DataError naming the file and the line: an
/// unterminated quote, a quote inside an unquoted field, text after a closing quote, and a record
/// whose field count differs from the header's.
///
/// Every error message has the form `<file>:<line>: column '<col>': <what>; expected <what>`
/// (the column part is left out when no column applies). The reader never recurses and allocates
/// only in proportion to its input, so arbitrary bytes cannot crash it or make it loop.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/errors.hpp"

namespace phsim {

/// One CSV record: its fields (unquoted) and the physical line (1-based) on which it starts.
struct CsvRecord {
  std::vector<std::string> fields;
  std::int64_t line = 0;
};

/// Splits `text` into records. `file` labels error messages. A UTF-8 BOM at the start is skipped;
/// empty lines produce no record; records may have any field count (see parse_csv for the check).
/// @throws DataError on an unterminated quote, a stray quote in an unquoted field, or text after a
///         closing quote.
std::vector<CsvRecord> parse_csv_records(std::string_view text, const std::string& file);

/// A parsed CSV file: the header and the data records, every one with the header's field count.
struct CsvTable {
  std::string file;                 ///< label used in messages, e.g. "embedded/plans.csv"
  std::vector<std::string> header;  ///< column names
  std::int64_t header_line = 0;     ///< physical line of the header
  std::vector<CsvRecord> rows;      ///< data records

  /// Index of the column named `name`.
  /// @throws DataError naming the file and the column when there is none.
  std::size_t column(std::string_view name) const;
};

/// Parses `text` as a header line followed by data records.
/// @throws DataError when the text is empty (no header), on the errors of parse_csv_records, and
///         when a record's field count differs from the header's (names the line and both counts).
CsvTable parse_csv(std::string_view text, const std::string& file);

/// Checks that the header is exactly `expected`, in order.
/// @throws DataError naming the first position where they differ: the column expected there and
///         the one found (or that a column is missing or extra).
void require_header(const CsvTable& table, std::initializer_list<std::string_view> expected);
/// Same, with the expected names in a vector.
void require_header(const CsvTable& table, const std::vector<std::string>& expected);

/// Builds the standard error: `<file>:<line>: column '<column>': <what>; expected <expected>`.
/// `line` <= 0 leaves out the line, an empty `column` the column part, an empty `expected` the
/// `; expected` part.
DataError csv_error(std::string_view file, std::int64_t line, std::string_view column,
                    std::string_view what, std::string_view expected);

/// Strict conversions of a whole string (no surrounding spaces, no trailing text). They return
/// nullopt on any malformed text; the CsvRow accessors turn that into a DataError.
/// Integers: optional '-' then decimal digits, within int64.
std::optional<std::int64_t> parse_int64(std::string_view s);
/// Finite decimal numbers in the C locale ("12", "-0.5", "1e6"); rejects "nan", "inf", hex, '+',
/// and values that overflow a double.
std::optional<double> parse_double(std::string_view s);
/// "true" or "false" exactly.
std::optional<bool> parse_bool(std::string_view s);

/// A row of a CsvTable, with typed, named-column access whose errors name the file, the line and
/// the column. Holds references: the table must outlive it.
class CsvRow {
 public:
  CsvRow(const CsvTable& table, std::size_t index);

  std::int64_t line() const { return m_record->line; }
  const CsvTable& table() const { return *m_table; }

  /// The raw text of a column.
  const std::string& text(std::string_view column) const;
  /// The text, which must not be empty.
  const std::string& required_text(std::string_view column) const;
  /// An integer (see parse_int64).
  std::int64_t int64(std::string_view column) const;
  /// A finite number (see parse_double).
  double number(std::string_view column) const;
  /// A finite number, or NaN when the field is empty.
  double optional_number(std::string_view column) const;
  /// `true` or `false`.
  bool boolean(std::string_view column) const;

  /// Throws csv_error for this row's line and the given column.
  [[noreturn]] void fail(std::string_view column, std::string_view what,
                         std::string_view expected) const;

 private:
  const CsvTable* m_table;
  const CsvRecord* m_record;
};

/// Quotes `value` for messages: 'value', shortened to 60 characters, with control characters
/// written as '?'. Keeps messages one line long whatever the input holds.
std::string quote_for_message(std::string_view value);

}  // namespace phsim
