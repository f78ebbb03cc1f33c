#pragma once
/// @file Results files: one HDF5 file per run, readable as one labeled dataset by
/// `xarray.open_dataset(path, engine="h5netcdf")` and by h5py (DESIGN.md §10).
///
/// Dimensions are root-level 1-D datasets made HDF5 dimension scales (H5DS); every variable is a
/// root-level dataset whose axes are attached to its dimension scales. The writer creates
/// `<path>.partial` and renames it to `<path>` only in commit(); a writer destroyed without
/// commit() removes the partial file, so a failed run leaves nothing that looks finished.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace phsim {

/// An attribute value: text (variable-length UTF-8), integer, real, or a 1-D array of integers
/// or reals (an array of one element reads back as a scalar).
using AttributeValue =
    std::variant<std::string, std::int64_t, double, std::vector<std::int64_t>, std::vector<double>>;
using Attributes = std::map<std::string, AttributeValue>;

/// Writes one results file. Not thread-safe. All methods throw IoError naming the file and the
/// object on failure (including a full disk).
class ResultsWriter {
 public:
  /// Starts `<path>.partial`. Throws IoError if the directory is not writable. Does not check
  /// whether `path` exists (the caller decides about overwriting).
  explicit ResultsWriter(std::string path);
  ~ResultsWriter();  ///< removes the partial file unless commit() succeeded
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  /// Adds a dimension whose coordinate labels are strings (county, plan, measure, ...).
  void add_dimension(const std::string& name, const std::vector<std::string>& labels);
  /// Adds a dimension whose coordinate values are integers (year, replicate).
  void add_dimension(const std::string& name, const std::vector<std::int64_t>& values);

  /// Writes an int64 variable of the given dims (row-major, last dim fastest); data.size() must
  /// equal the product of the dims' lengths. Chunked + shuffle + deflate when large enough.
  void write(const std::string& name, const std::vector<std::string>& dims,
             const std::vector<std::int64_t>& data, const Attributes& attrs = {});
  /// Writes a float64 variable (NaN allowed).
  void write(const std::string& name, const std::vector<std::string>& dims,
             const std::vector<double>& data, const Attributes& attrs = {});

  /// Sets attributes on an existing dimension or variable.
  void set_attributes(const std::string& object, const Attributes& attrs);
  /// Sets root attributes.
  void set_root_attributes(const Attributes& attrs);

  /// Flushes, closes and renames `<path>.partial` to `<path>` (atomic on one filesystem).
  void commit();

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Reads a results file (for `phsim info`, `phsim compare` and tests).
class ResultsReader {
 public:
  /// Opens `path` read-only. Throws IoError if it is missing or not an HDF5 file.
  explicit ResultsReader(const std::string& path);
  ~ResultsReader();
  ResultsReader(const ResultsReader&) = delete;
  ResultsReader& operator=(const ResultsReader&) = delete;

  /// Names of root-level variables (datasets that are not dimension scales), sorted.
  std::vector<std::string> variables() const;
  /// Names of dimensions (dimension scales), sorted.
  std::vector<std::string> dimensions() const;
  /// The dimension names of a variable, in axis order (from its attached scales).
  std::vector<std::string> dims_of(const std::string& variable) const;
  /// Shape of a dataset.
  std::vector<std::size_t> shape(const std::string& dataset) const;
  /// String labels of a dimension (throws IoError if it is numeric).
  std::vector<std::string> labels(const std::string& dimension) const;
  /// Reads a whole dataset as int64 / float64 (throws IoError on a type mismatch).
  std::vector<std::int64_t> read_int64(const std::string& dataset) const;
  std::vector<double> read_float64(const std::string& dataset) const;
  /// Root attributes / attributes of a dataset.
  Attributes root_attributes() const;
  Attributes attributes(const std::string& dataset) const;
  bool has(const std::string& dataset) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace phsim
