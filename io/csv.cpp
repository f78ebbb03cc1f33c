#include "io/csv.hpp"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

namespace phsim {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kMessageValueMax = 60;

bool is_line_end(char c) { return c == '\n' || c == '\r'; }

/// Consumes one line ending (CRLF, LF or CR) at `i`; returns the new position.
std::size_t skip_line_end(std::string_view text, std::size_t i) {
  if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') return i + 2;
  return i + 1;
}

}  // namespace

std::string quote_for_message(std::string_view value) {
  std::string out = "'";
  const std::size_t n = value.size() < kMessageValueMax ? value.size() : kMessageValueMax;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (value.size() > kMessageValueMax) out += "...";
  out += '\'';
  return out;
}

DataError csv_error(std::string_view file, std::int64_t line, std::string_view column,
                    std::string_view what, std::string_view expected) {
  std::string msg(file);
  if (line > 0) msg += ':' + std::to_string(line);
  msg += ": ";
  if (!column.empty()) {
    msg += "column '";
    msg += column;
    msg += "': ";
  }
  msg += what;
  if (!expected.empty()) {
    msg += "; expected ";
    msg += expected;
  }
  return DataError(msg);
}

std::vector<CsvRecord> parse_csv_records(std::string_view text, const std::string& file) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  std::vector<CsvRecord> records;
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::int64_t line = 1;
  while (i < n) {
    if (is_line_end(text[i])) {  // an empty line: no record
      i = skip_line_end(text, i);
      ++line;
      continue;
    }
    CsvRecord record;
    record.line = line;
    while (true) {
      std::string field;
      if (i < n && text[i] == '"') {
        const std::int64_t quote_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          // A line break inside quotes is part of the field; count it like one outside.
          if (c == '\n' || (c == '\r' && (i + 1 >= n || text[i + 1] != '\n'))) ++line;
          field += c;
          ++i;
        }
        if (!closed) {
          throw csv_error(file, quote_line, "",
                          "unterminated quoted field (the file ends inside quotes)",
                          "a closing '\"' (write a quote inside a quoted field as \"\")");
        }
        if (i < n && text[i] != ',' && !is_line_end(text[i])) {
          throw csv_error(file, line, "", "text after a closing quote",
                          "',' or the end of the line after a quoted field");
        }
      } else {
        const std::size_t start = i;
        while (i < n && text[i] != ',' && !is_line_end(text[i])) {
          if (text[i] == '"') {
            throw csv_error(file, line, "", "a '\"' inside an unquoted field",
                            "the whole field in quotes, with inner quotes doubled (\"\")");
          }
          ++i;
        }
        field.assign(text.substr(start, i - start));
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;  // another field follows (possibly empty, even at the end of the input)
      }
      if (i < n) {  // a line end
        i = skip_line_end(text, i);
        ++line;
      }
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c] == name) return c;
  }
  throw csv_error(file, header_line, name, "no such column in the header",
                  "a column named " + quote_for_message(name));
}

CsvTable parse_csv(std::string_view text, const std::string& file) {
  CsvTable table;
  table.file = file;
  auto records = parse_csv_records(text, file);
  if (records.empty()) {
    throw csv_error(file, 1, "", "the file is empty", "a header line naming the columns");
  }
  table.header = std::move(records.front().fields);
  table.header_line = records.front().line;
  const std::size_t width = table.header.size();
  table.rows.reserve(records.size() - 1);
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].fields.size() != width) {
      throw csv_error(file, records[r].line, "",
                      "the record has " + std::to_string(records[r].fields.size()) + " fields",
                      std::to_string(width) + " fields, as in the header (quote fields that " +
                          "contain commas)");
    }
    table.rows.push_back(std::move(records[r]));
  }
  return table;
}

void require_header(const CsvTable& table, const std::vector<std::string>& expected) {
  std::string all;
  for (const auto& name : expected) {
    if (!all.empty()) all += ',';
    all += name;
  }
  const std::string whole = " (the header must be exactly: " + all + ")";
  const std::size_t n =
      table.header.size() > expected.size() ? table.header.size() : expected.size();
  for (std::size_t c = 0; c < n; ++c) {
    const std::string position = "position " + std::to_string(c + 1);
    if (c >= table.header.size()) {
      throw csv_error(table.file, table.header_line, expected[c],
                      "missing from the header at " + position,
                      quote_for_message(expected[c]) + " at " + position + whole);
    }
    if (c >= expected.size()) {
      throw csv_error(table.file, table.header_line, table.header[c],
                      "unexpected extra column at " + position, "no column there" + whole);
    }
    if (table.header[c] != expected[c]) {
      throw csv_error(table.file, table.header_line, expected[c],
                      "found " + quote_for_message(table.header[c]) + " at " + position,
                      quote_for_message(expected[c]) + " at " + position + whole);
    }
  }
}

void require_header(const CsvTable& table, std::initializer_list<std::string_view> expected) {
  std::vector<std::string> names;
  names.reserve(expected.size());
  for (const auto name : expected) names.emplace_back(name);
  require_header(table, names);
}

std::optional<std::int64_t> parse_int64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value, 10);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // from_chars accepts "inf", "infinity" and "nan"; a finite decimal number always has a digit.
  for (const char c : s) {
    if (c == 'i' || c == 'I' || c == 'n' || c == 'N' || c == 'x' || c == 'X') return std::nullopt;
  }
  double value = 0.0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value, std::chars_format::general);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

CsvRow::CsvRow(const CsvTable& table, std::size_t index)
    : m_table(&table), m_record(&table.rows.at(index)) {}

void CsvRow::fail(std::string_view column, std::string_view what, std::string_view expected) const {
  throw csv_error(m_table->file, m_record->line, column, what, expected);
}

const std::string& CsvRow::text(std::string_view column) const {
  return m_record->fields.at(m_table->column(column));
}

const std::string& CsvRow::required_text(std::string_view column) const {
  const auto& value = text(column);
  if (value.empty()) fail(column, "empty", "a non-empty value");
  return value;
}

std::int64_t CsvRow::int64(std::string_view column) const {
  const auto& value = text(column);
  const auto parsed = parse_int64(value);
  if (!parsed) {
    fail(column, "not an integer: " + quote_for_message(value),
         "a whole number written with digits only (e.g. 12345)");
  }
  return *parsed;
}

double CsvRow::number(std::string_view column) const {
  const auto& value = text(column);
  const auto parsed = parse_double(value);
  if (!parsed) {
    fail(column,
         (value.empty() ? std::string("empty") : "not a number: " + quote_for_message(value)),
         "a finite decimal number (e.g. 12.5)");
  }
  return *parsed;
}

double CsvRow::optional_number(std::string_view column) const {
  const auto& value = text(column);
  if (value.empty()) return std::nan("");
  const auto parsed = parse_double(value);
  if (!parsed) {
    fail(column, "not a number: " + quote_for_message(value),
         "a finite decimal number (e.g. 12.5) or an empty field");
  }
  return *parsed;
}

bool CsvRow::boolean(std::string_view column) const {
  const auto& value = text(column);
  const auto parsed = parse_bool(value);
  if (!parsed) fail(column, "not a boolean: " + quote_for_message(value), "true or false");
  return *parsed;
}

}  // namespace phsim
