/// @file Results files in HDF5 (DESIGN.md §10), written with the HDF5 C API and the high-level
/// dimension-scale API (H5DS).
///
/// File layout:
/// - Format bounds low = high = v1.8 (superblock v2): readable by every HDF5 >= 1.8, so by
///   netCDF-C 4.x (`ncdump`), h5py, h5netcdf and xarray. Link and attribute creation order are
///   tracked and indexed, and object times are not stored, as netCDF-C does when it creates a file
///   (netCDF-C needs creation order to open a file for writing; times would make two identical
///   runs differ byte-wise).
/// - Dimensions: root-level 1-D datasets made dimension scales (NAME = the dimension name); labels
///   are variable-length UTF-8 strings, numeric coordinates int64 little-endian.
/// - Variables: int64 (H5T_STD_I64LE) or float64 (H5T_IEEE_F64LE), every axis attached to its
///   scale. From 4096 elements on: chunked (at most 1 MiB per chunk, trailing axes kept whole
///   first), shuffle + deflate 4; smaller: contiguous. Float fill value NaN; fill values are never
///   written (each dataset is written whole, once). The chunks are filtered on the host's threads
///   and written with H5Dwrite_chunk (write_filtered_chunks): the same bytes as H5Dwrite through
///   HDF5's filters.
/// - Attributes: scalar dataspace; strings variable-length UTF-8, integers int64, reals float64.
///   Setting an existing attribute replaces it.
///
/// Failure handling:
/// - HDF5's automatic error printing is off; failures become IoError naming the final path, the
///   object and the innermost HDF5 (or errno) reason.
/// - The writer writes through its own POSIX file driver (see "the writer's file driver"): HDF5
///   1.10 crashes later when a close fails on a write error, so the driver never reports a write
///   error to HDF5; it records errno, skips later writes, and the writer turns it into IoError.
/// - The reader turns missing, non-HDF5 and truncated files into IoError. libhdf5 1.10 itself can
///   still crash on some in-place corruption of a file's interior (e.g. a damaged global heap,
///   where variable-length strings live); that is outside what a caller of its API can check.
///
/// Reader conventions: attributes that are not a string, an integer or a real, or whose dataspace
/// holds more than one element, are skipped; the dimension-scale and netCDF bookkeeping attributes
/// (CLASS, NAME, DIMENSION_LIST, REFERENCE_LIST, _Netcdf4Dimid, _Netcdf4Coordinates, _nc3_strict,
/// _NCProperties) are hidden, and the writer refuses them as attribute names. dims_of() takes the
/// last scale attached to each axis (as netCDF-C and h5netcdf do) and throws if an axis has none.
#include "io/hdf5_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sim/errors.hpp"
#include "sim/host_parallel.hpp"

// The writer's own file driver (below) is written against the driver interface of HDF5 1.10 and
// 1.12; HDF5 1.13+ changed that interface, and there the writer falls back to sec2.
#ifndef PHSIM_HDF5_OWN_DRIVER
#if H5_VERSION_GE(1, 13, 0)
#define PHSIM_HDF5_OWN_DRIVER 0
#else
#define PHSIM_HDF5_OWN_DRIVER 1
#endif
#endif

namespace phsim {
namespace {

constexpr hsize_t kChunkThreshold = 4096;          // elements; smaller datasets are contiguous
constexpr hsize_t kChunkBytes = hsize_t{1} << 20;  // at most 1 MiB per chunk
constexpr unsigned kDeflateLevel = 4;

// Attribute names that belong to HDF5 dimension scales or to netCDF-4: hidden by the reader,
// refused by the writer.
bool reserved_attribute(std::string_view name) {
  static const std::set<std::string_view> kReserved = {"CLASS",          "NAME",
                                                       "DIMENSION_LIST", "REFERENCE_LIST",
                                                       "_Netcdf4Dimid",  "_Netcdf4Coordinates",
                                                       "_nc3_strict",    "_NCProperties"};
  return kReserved.count(name) != 0;
}

/// HDF5's automatic error printing goes to stderr; failures must surface only as IoError. The
/// setting is per thread in a thread-safe build, so every entry point repeats it.
void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string errno_text(int e) { return std::strerror(e); }

// ---- HDF5 error stack ---------------------------------------------------------------------------

struct InnermostError {
  bool found = false;
  std::string desc;
  hid_t minor = H5I_INVALID_HID;
};

herr_t innermost_cb(unsigned n, const H5E_error2_t* err, void* data) noexcept {
  auto* out = static_cast<InnermostError*>(data);
  if (n == 0 && err != nullptr) {  // walking upward: entry 0 is where the error was detected
    try {
      out->found = true;
      out->desc = err->desc != nullptr ? err->desc : "";
      out->minor = err->min_num;
    } catch (...) {
      return -1;
    }
  }
  return 0;
}

/// The innermost description on HDF5's error stack, shortened where HDF5 wraps an errno text
/// ("file write failed: time = ..., errno = 27, error message = 'File too large', ..." becomes
/// "file write failed: File too large"). Must run before any other HDF5 call clears the stack.
std::string hdf5_reason() {
  InnermostError e;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, &e);
  if (!e.found) return "HDF5 error";
  std::string desc = e.desc;
  const std::string marker = "error message = '";
  if (const auto at = desc.find(marker); at != std::string::npos) {
    const auto start = at + marker.size();
    const auto end = desc.find('\'', start);
    const auto colon = desc.find(':');
    std::string head = colon != std::string::npos && colon < at ? desc.substr(0, colon) : "";
    std::string text =
        desc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    desc = head.empty() ? text : head + ": " + text;
  }
  if (desc.empty() && e.minor >= 0) {
    char buf[256] = {};
    if (H5Eget_msg(e.minor, nullptr, buf, sizeof buf) > 0) desc = buf;
  }
  if (desc.empty()) desc = "HDF5 error";
  if (desc.size() > 400) desc = desc.substr(0, 400) + "...";
  H5Eclear2(H5E_DEFAULT);
  return desc;
}

[[noreturn]] void fail_hdf5(const std::string& ctx) { throw IoError(ctx + ": " + hdf5_reason()); }

herr_t check(herr_t status, const std::string& ctx) {
  if (status < 0) fail_hdf5(ctx);
  return status;
}

htri_t check_tri(htri_t status, const std::string& ctx) {
  if (status < 0) fail_hdf5(ctx);
  return status;
}

// ---- handles ------------------------------------------------------------------------------------

using Closer = herr_t (*)(hid_t);

/// Owns one HDF5 identifier; closes it (ignoring errors) unless close() was called.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, Closer closer) : m_id(id), m_closer(closer) {}
  Handle(Handle&& other) noexcept
      : m_id(std::exchange(other.m_id, H5I_INVALID_HID)), m_closer(other.m_closer) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      m_id = std::exchange(other.m_id, H5I_INVALID_HID);
      m_closer = other.m_closer;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return m_id; }
  bool valid() const { return m_id >= 0; }
  /// Closes now and returns HDF5's status (closing a dataset flushes its chunks).
  herr_t close() {
    if (m_id < 0) return 0;
    return m_closer(std::exchange(m_id, H5I_INVALID_HID));
  }
  void reset() noexcept {
    if (m_id >= 0) m_closer(std::exchange(m_id, H5I_INVALID_HID));
  }

 private:
  hid_t m_id = H5I_INVALID_HID;
  Closer m_closer = nullptr;
};

Handle own(hid_t id, Closer closer, const std::string& ctx) {
  if (id < 0) fail_hdf5(ctx);
  return Handle(id, closer);
}

void close_checked(Handle& h, const std::string& ctx) { check(h.close(), ctx); }

/// Variable-length UTF-8 string type (file and memory alike).
Handle vlen_utf8_type(const std::string& ctx) {
  Handle t = own(H5Tcopy(H5T_C_S1), H5Tclose, ctx);
  check(H5Tset_size(t.get(), H5T_VARIABLE), ctx);
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), ctx);
  return t;
}

bool deflate_available() {
  static const bool available = H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0;
  return available;
}

/// Chunk shape of at most kChunkBytes: trailing axes are kept whole as long as they fit, the axis
/// where the budget runs out is split into equal parts, leading axes get 1. Never 0, never more
/// than the axis length.
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& shape, hsize_t element_size) {
  const hsize_t budget = std::max<hsize_t>(1, kChunkBytes / element_size);
  std::vector<hsize_t> chunk(shape.size(), 1);
  hsize_t inner = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    const hsize_t extent = std::max<hsize_t>(1, shape[i]);
    const hsize_t room = std::max<hsize_t>(1, budget / inner);
    if (extent <= room) {
      chunk[i] = extent;
    } else {
      const hsize_t parts = (extent + room - 1) / room;
      chunk[i] = std::max<hsize_t>(1, (extent + parts - 1) / parts);
    }
    inner *= chunk[i];
  }
  return chunk;
}

/// The chunks of a dataset laid out by chunk_shape(): leading axes in chunks of 1, one axis (the
/// split axis) in chunks of `chunk[split]`, the trailing axes whole. Each chunk is then one
/// contiguous run of the row-major data; the last chunk along the split axis may hold fewer
/// elements than a chunk (HDF5 stores every chunk whole and ignores what lies beyond the extent).
class ChunkRuns {
 public:
  ChunkRuns(const std::vector<hsize_t>& shape, const std::vector<hsize_t>& chunk)
      : m_shape(shape), m_chunk(chunk) {
    std::size_t split = 0;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (chunk[i] < shape[i]) split = i;
    }
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if ((i < split && chunk[i] != 1) || (i > split && chunk[i] != shape[i]))
        throw std::logic_error("chunk shape is not one run of the data");
    }
    m_split = split;
    for (std::size_t i = split + 1; i < shape.size(); ++i) m_inner *= shape[i];
    m_parts = (shape[split] + chunk[split] - 1) / chunk[split];
    m_count = m_parts;
    for (std::size_t i = 0; i < split; ++i) m_count *= shape[i];
    m_chunk_elements = chunk[split] * m_inner;
  }

  hsize_t count() const { return m_count; }
  hsize_t chunk_elements() const { return m_chunk_elements; }

  /// Chunk `index` (row-major over the chunk grid): its offset in the dataset (`at`), and the
  /// first element and the number of elements of its run.
  std::pair<hsize_t, hsize_t> run(hsize_t index, std::vector<hsize_t>& at) const {
    at.assign(m_shape.size(), 0);
    const hsize_t part = index % m_parts;
    hsize_t lead = index / m_parts;  // linear index over the leading axes
    for (std::size_t i = m_split; i-- > 0;) {
      at[i] = lead % m_shape[i];
      lead /= m_shape[i];
    }
    at[m_split] = part * m_chunk[m_split];
    const hsize_t rows = std::min(m_chunk[m_split], m_shape[m_split] - at[m_split]);
    return {((index / m_parts) * m_shape[m_split] + at[m_split]) * m_inner, rows * m_inner};
  }

 private:
  std::vector<hsize_t> m_shape, m_chunk;
  std::size_t m_split = 0;
  hsize_t m_inner = 1, m_parts = 1, m_count = 1, m_chunk_elements = 1;
};

/// Transposes the 8 x 8 bytes of eight little-endian words: byte e of word b becomes byte b of
/// word e (three rounds of swapping 4-, 2- and 1-byte blocks).
inline void transpose_bytes_8x8(std::uint64_t (&x)[8]) {
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t t = ((x[i] >> 32) ^ x[i + 4]) & 0x00000000ffffffffull;
    x[i] ^= t << 32;
    x[i + 4] ^= t;
  }
  for (int i : {0, 1, 4, 5}) {
    const std::uint64_t t = ((x[i] >> 16) ^ x[i + 2]) & 0x0000ffff0000ffffull;
    x[i] ^= t << 16;
    x[i + 2] ^= t;
  }
  for (int i : {0, 2, 4, 6}) {
    const std::uint64_t t = ((x[i] >> 8) ^ x[i + 1]) & 0x00ff00ff00ff00ffull;
    x[i] ^= t << 8;
    x[i + 1] ^= t;
  }
}

/// HDF5's shuffle filter (H5Z_FILTER_SHUFFLE) for 8-byte elements: byte b of element e goes to
/// out[b * chunk_elements + e]. The first `elements` come from `data`; the rest of the chunk
/// (beyond the dataset's extent) is zeros.
void shuffle_chunk_8(const unsigned char* data, std::size_t elements, std::size_t chunk_elements,
                     unsigned char* out) {
  std::size_t e = 0;
  for (; e + 8 <= elements; e += 8) {
    std::uint64_t x[8];
    std::memcpy(x, data + e * 8, sizeof x);
    transpose_bytes_8x8(x);
    for (int b = 0; b < 8; ++b) std::memcpy(out + b * chunk_elements + e, &x[b], 8);
  }
  for (; e < chunk_elements; ++e) {
    for (std::size_t b = 0; b < 8; ++b) out[b * chunk_elements + e] = e < elements ? data[e * 8 + b] : 0;
  }
}

/// One chunk of 8-byte elements as the writer's filter pipeline stores it: shuffled
/// (shuffle_chunk_8), then compressed by zlib's compress2 at kDeflateLevel, the call HDF5's
/// deflate filter (H5Z_FILTER_DEFLATE) makes.
std::vector<unsigned char> filtered_chunk(const unsigned char* data, std::size_t elements,
                                          std::size_t chunk_elements) {
  const std::size_t chunk_bytes = chunk_elements * 8;
  std::vector<unsigned char> shuffled(chunk_bytes);
  shuffle_chunk_8(data, elements, chunk_elements, shuffled.data());
  uLongf size = compressBound(static_cast<uLong>(chunk_bytes));
  std::vector<unsigned char> out(size);
  const int status = compress2(out.data(), &size, shuffled.data(), static_cast<uLong>(chunk_bytes),
                               static_cast<int>(kDeflateLevel));
  if (status == Z_MEM_ERROR) throw std::bad_alloc();
  if (status != Z_OK) throw IoError("zlib compress2 failed (status " + std::to_string(status) + ")");
  out.resize(size);
  return out;
}

/// Whether the n 8-byte words from `words` are all zero bits (-0.0 is not), checked a block at a
/// time so that a chunk with data is found out early.
bool all_zero(const std::uint64_t* words, std::size_t n) {
  constexpr std::size_t kBlock = 512;
  for (std::size_t i = 0; i < n; i += kBlock) {
    std::uint64_t any = 0;
    const std::size_t end = std::min(n, i + kBlock);
    for (std::size_t j = i; j < end; ++j) any |= words[j];
    if (any) return false;
  }
  return true;
}

/// Writes a dataset created by create_dataset() with shuffle + deflate: its chunks are filtered
/// on the host's threads (filtered_chunk) and written in order with H5Dwrite_chunk, a few chunks
/// per thread at a time. The stored chunks are those H5Dwrite writes through the filters, byte for
/// byte (tested). Used where the memory type is the file's (little-endian) type, as
/// transpose_bytes_8x8 assumes.
void write_filtered_chunks(hid_t ds, const void* data, const std::vector<hsize_t>& shape,
                           const std::vector<hsize_t>& chunk, const std::string& ctx) {
  const ChunkRuns runs(shape, chunk);
  const auto* words = static_cast<const std::uint64_t*>(data);
  const std::size_t batch = 4 * host_threads();
  std::vector<std::vector<unsigned char>> filtered(batch);  // empty: a chunk of zero bytes
  std::vector<std::vector<hsize_t>> at(batch);  // each chunk's offset in the dataset
  // Chunks of zero bytes (whole arrays of a run without interventions or plan effort) all filter
  // to the same bytes: filtered once, when the first is met (zlib takes as long over zeros as over
  // the other chunks).
  std::vector<unsigned char> zero_chunk;
  for (hsize_t first = 0; first < runs.count(); first += batch) {
    const auto n = static_cast<std::size_t>(std::min<hsize_t>(batch, runs.count() - first));
    parallel_for_host(n, [&](std::size_t i) {
      const auto [begin, elements] = runs.run(first + i, at[i]);
      filtered[i].clear();
      if (!all_zero(words + begin, elements)) {
        filtered[i] = filtered_chunk(reinterpret_cast<const unsigned char*>(words + begin), elements,
                                     runs.chunk_elements());
      }
    });
    for (std::size_t i = 0; i < n; ++i) {
      if (filtered[i].empty() && zero_chunk.empty()) {
        const std::vector<unsigned char> zeros(runs.chunk_elements() * 8, 0);
        zero_chunk = filtered_chunk(zeros.data(), runs.chunk_elements(), runs.chunk_elements());
      }
      const std::vector<unsigned char>& stored = filtered[i].empty() ? zero_chunk : filtered[i];
      check(H5Dwrite_chunk(ds, H5P_DEFAULT, 0, at[i].data(), stored.size(), stored.data()), ctx);
    }
  }
}

bool valid_object_name(const std::string& name) {
  return !name.empty() && name != "." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

void validate_attributes(const Attributes& attrs, const std::string& ctx) {
  for (const auto& [key, value] : attrs) {
    if (key.empty() || key.find('\0') != std::string::npos)
      throw IoError(ctx + ": invalid attribute name '" + key + "'");
    if (reserved_attribute(key))
      throw IoError(ctx + ": attribute name '" + key +
                    "' is reserved for HDF5 dimension scales / netCDF");
    if (const auto* s = std::get_if<std::string>(&value); s && s->find('\0') != std::string::npos)
      throw IoError(ctx + ": attribute '" + key + "' contains a NUL character");
  }
}

/// Writes (or replaces) one scalar attribute on `obj`.
void write_attribute(hid_t obj, const std::string& key, const AttributeValue& value,
                     const std::string& ctx) {
  if (check_tri(H5Aexists(obj, key.c_str()), ctx) > 0) check(H5Adelete(obj, key.c_str()), ctx);
  Handle space = own(H5Screate(H5S_SCALAR), H5Sclose, ctx);
  if (const auto* s = std::get_if<std::string>(&value)) {
    Handle type = vlen_utf8_type(ctx);
    Handle attr =
        own(H5Acreate2(obj, key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, ctx);
    const char* ptr = s->c_str();
    check(H5Awrite(attr.get(), type.get(), &ptr), ctx);
    close_checked(attr, ctx);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    Handle attr =
        own(H5Acreate2(obj, key.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, ctx);
    check(H5Awrite(attr.get(), H5T_NATIVE_INT64, i), ctx);
    close_checked(attr, ctx);
  } else if (const auto* d = std::get_if<double>(&value)) {
    Handle attr =
        own(H5Acreate2(obj, key.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, ctx);
    check(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, d), ctx);
    close_checked(attr, ctx);
  } else {
    // 1-D numeric arrays.
    const auto* ints = std::get_if<std::vector<std::int64_t>>(&value);
    const auto* reals = std::get_if<std::vector<double>>(&value);
    const hsize_t n = ints ? ints->size() : reals->size();
    if (n == 0) throw IoError(ctx + ": attribute '" + key + "' is an empty array");
    Handle array_space = own(H5Screate_simple(1, &n, nullptr), H5Sclose, ctx);
    Handle attr = own(H5Acreate2(obj, key.c_str(), ints ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                                 array_space.get(), H5P_DEFAULT, H5P_DEFAULT),
                      H5Aclose, ctx);
    if (ints) {
      check(H5Awrite(attr.get(), H5T_NATIVE_INT64, ints->data()), ctx);
    } else {
      check(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, reals->data()), ctx);
    }
    close_checked(attr, ctx);
  }
}

/// fsync by path; EINVAL/ENOTSUP (a file system without fsync) is not an error.
int fsync_path(const std::string& path, int open_flags) {
  const int fd = ::open(path.c_str(), open_flags | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) err = errno;
  ::close(fd);
  return err;
}

std::string parent_directory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// ---- the writer's file driver -------------------------------------------------------------------
//
// HDF5 1.10 has a bug that matters for a full disk: when H5Fclose (or H5Dclose) fails because a
// write fails, the identifier stays registered while the object behind it is freed, and the
// library crashes later (at the next close attempt or in its atexit handler). So the writer uses
// its own POSIX driver, a copy of "sec2" whose writes never fail as far as HDF5 can tell: the
// first failing write (or truncate, or close) records errno in an IoStatus the writer owns, and
// every later write is skipped. The writer checks the status after each operation and reports the
// errno text; the file is then discarded, so the lost writes do not matter. Reads behave as in
// sec2 (errors are errors). No file locking: nobody else opens a `.partial` file.
#if PHSIM_HDF5_OWN_DRIVER

struct IoStatus {
  int error = 0;          // first errno of a failed write, truncate or close
  const char* what = "";  // which of them
  bool discard = false;   // the file is being abandoned: skip all writes
};

struct DriverInfo {
  IoStatus* status;
};

struct PosixFile {
  H5FD_t pub;  // must come first: HDF5 sees a PosixFile* as an H5FD_t*
  int fd;
  haddr_t eoa;
  haddr_t eof;
  dev_t device;
  ino_t inode;
  IoStatus* status;
};

constexpr haddr_t kMaxAddr = (haddr_t{1} << (8 * sizeof(off_t) - 1)) - 1;
constexpr std::size_t kMaxIo = std::size_t{1} << 30;

PosixFile* as_posix(H5FD_t* f) { return reinterpret_cast<PosixFile*>(f); }
const PosixFile* as_posix(const H5FD_t* f) { return reinterpret_cast<const PosixFile*>(f); }

void push_driver_error(const char* func, hid_t minor, const char* what, int err) {
  H5Epush2(H5E_DEFAULT, __FILE__, func, __LINE__, H5E_ERR_CLS, H5E_IO, minor,
           "%s: errno = %d, error message = '%s'", what, err, std::strerror(err));
}

void record(IoStatus* status, const char* what, int err) {
  if (status != nullptr && status->error == 0) {
    status->error = err;
    status->what = what;
  }
}

bool skip_writes(const PosixFile* f) {
  return f->status != nullptr && (f->status->discard || f->status->error != 0);
}

H5FD_t* driver_open(const char* name, unsigned flags, hid_t fapl, haddr_t maxaddr) noexcept {
  if (name == nullptr || *name == '\0' || maxaddr == 0 || maxaddr == HADDR_UNDEF ||
      maxaddr > kMaxAddr) {
    push_driver_error("driver_open", H5E_BADVALUE, "invalid file name or address space", EINVAL);
    return nullptr;
  }
  int oflags = (flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY;
  if (flags & H5F_ACC_TRUNC) oflags |= O_TRUNC;
  if (flags & H5F_ACC_CREAT) oflags |= O_CREAT;
  if (flags & H5F_ACC_EXCL) oflags |= O_EXCL;
  const int fd = ::open(name, oflags | O_CLOEXEC, 0666);
  if (fd < 0) {
    push_driver_error("driver_open", H5E_CANTOPENFILE, "unable to open file", errno);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    push_driver_error("driver_open", H5E_BADFILE, "unable to fstat file", err);
    return nullptr;
  }
  auto* f = static_cast<PosixFile*>(std::calloc(1, sizeof(PosixFile)));
  if (f == nullptr) {
    ::close(fd);
    push_driver_error("driver_open", H5E_CANTALLOC, "unable to allocate file struct", ENOMEM);
    return nullptr;
  }
  f->fd = fd;
  f->eof = static_cast<haddr_t>(st.st_size);
  f->device = st.st_dev;
  f->inode = st.st_ino;
  const auto* info = static_cast<const DriverInfo*>(H5Pget_driver_info(fapl));
  f->status = info != nullptr ? info->status : nullptr;
  return &f->pub;
}

herr_t driver_close(H5FD_t* file) noexcept {
  PosixFile* f = as_posix(file);
  if (::close(f->fd) != 0 && f->status != nullptr && !f->status->discard)
    record(f->status, "file close failed", errno);
  std::free(f);
  return 0;  // never fail a close (see above)
}

int driver_cmp(const H5FD_t* a, const H5FD_t* b) noexcept {
  const PosixFile* f1 = as_posix(a);
  const PosixFile* f2 = as_posix(b);
  if (f1->device != f2->device) return f1->device < f2->device ? -1 : 1;
  if (f1->inode != f2->inode) return f1->inode < f2->inode ? -1 : 1;
  return 0;
}

herr_t driver_query(const H5FD_t*, unsigned long* flags) noexcept {
  if (flags != nullptr)
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
  return 0;
}

haddr_t driver_get_eoa(const H5FD_t* file, H5FD_mem_t) noexcept { return as_posix(file)->eoa; }

herr_t driver_set_eoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) noexcept {
  as_posix(file)->eoa = addr;
  return 0;
}

haddr_t driver_get_eof(const H5FD_t* file, H5FD_mem_t) noexcept { return as_posix(file)->eof; }

herr_t driver_get_handle(H5FD_t* file, hid_t, void** handle) noexcept {
  if (handle == nullptr) return -1;
  *handle = &as_posix(file)->fd;
  return 0;
}

herr_t driver_read(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buf) noexcept {
  PosixFile* f = as_posix(file);
  if (addr == HADDR_UNDEF || addr > kMaxAddr || size > kMaxAddr - addr) {
    push_driver_error("driver_read", H5E_OVERFLOW, "address overflow", EINVAL);
    return -1;
  }
  auto* out = static_cast<unsigned char*>(buf);
  while (size > 0) {
    const ssize_t n = ::pread(f->fd, out, std::min(size, kMaxIo), static_cast<off_t>(addr));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      push_driver_error("driver_read", H5E_READERROR, "file read failed", errno);
      return -1;
    }
    if (n == 0) {  // past the end of the file: zeros, as in sec2
      std::memset(out, 0, size);
      break;
    }
    size -= static_cast<size_t>(n);
    addr += static_cast<haddr_t>(n);
    out += n;
  }
  return 0;
}

herr_t driver_write(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size,
                    const void* buf) noexcept {
  PosixFile* f = as_posix(file);
  if (addr == HADDR_UNDEF || addr > kMaxAddr || size > kMaxAddr - addr) {
    push_driver_error("driver_write", H5E_OVERFLOW, "address overflow", EINVAL);
    return -1;
  }
  if (skip_writes(f)) return 0;
  const haddr_t end = addr + size;
  const auto* in = static_cast<const unsigned char*>(buf);
  while (size > 0) {
    const ssize_t n = ::pwrite(f->fd, in, std::min(size, kMaxIo), static_cast<off_t>(addr));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      record(f->status, "file write failed", n < 0 ? errno : EIO);
      if (f->status != nullptr) return 0;
      push_driver_error("driver_write", H5E_WRITEERROR, "file write failed", n < 0 ? errno : EIO);
      return -1;
    }
    size -= static_cast<size_t>(n);
    addr += static_cast<haddr_t>(n);
    in += n;
  }
  f->eof = std::max(f->eof, end);
  return 0;
}

herr_t driver_truncate(H5FD_t* file, hid_t, hbool_t) noexcept {
  PosixFile* f = as_posix(file);
  if (skip_writes(f) || f->eoa == f->eof) return 0;
  if (::ftruncate(f->fd, static_cast<off_t>(f->eoa)) != 0) {
    record(f->status, "file truncate failed", errno);
    if (f->status != nullptr) return 0;
    push_driver_error("driver_truncate", H5E_WRITEERROR, "file truncate failed", errno);
    return -1;
  }
  f->eof = f->eoa;
  return 0;
}

H5FD_class_t make_driver_class() {
  H5FD_class_t c{};
  c.name = "phsim_posix";
  c.maxaddr = kMaxAddr;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.fapl_size = sizeof(DriverInfo);
  c.open = driver_open;
  c.close = driver_close;
  c.cmp = driver_cmp;
  c.query = driver_query;
  c.get_eoa = driver_get_eoa;
  c.set_eoa = driver_set_eoa;
  c.get_eof = driver_get_eof;
  c.get_handle = driver_get_handle;
  c.read = driver_read;
  c.write = driver_write;
  c.truncate = driver_truncate;
  const H5FD_mem_t map[H5FD_MEM_NTYPES] = H5FD_FLMAP_DICHOTOMY;
  std::copy(std::begin(map), std::end(map), std::begin(c.fl_map));
  return c;
}

/// The driver's identifier, registered on first use (and again if the library was restarted).
hid_t writer_driver(const std::string& ctx) {
  static std::mutex mutex;
  static hid_t id = H5I_INVALID_HID;
  static const H5FD_class_t cls = make_driver_class();
  std::lock_guard<std::mutex> lock(mutex);
  if (id < 0 || H5Iget_type(id) != H5I_VFL) {
    id = H5FDregister(&cls);
    if (id < 0) fail_hdf5(ctx);
  }
  return id;
}

#else  // newer HDF5: a different driver interface; use sec2

struct IoStatus {
  int error = 0;
  const char* what = "";
  bool discard = false;
};

#endif

// ---- reading helpers -----------------------------------------------------------------------------

herr_t collect_name_cb(hid_t, const char* name, const H5L_info_t*, void* data) noexcept {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

herr_t collect_attr_name_cb(hid_t, const char* name, const H5A_info_t*, void* data) noexcept {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

struct ScaleName {
  bool found = false;
  std::string name;
};

/// Called for each scale attached to one axis; keeps the last one (as netCDF-C and h5netcdf do).
herr_t scale_name_cb(hid_t, unsigned, hid_t scale, void* data) noexcept {
  auto* out = static_cast<ScaleName*>(data);
  try {
    std::string name;
    const ssize_t len = H5Iget_name(scale, nullptr, 0);
    if (len > 0) {
      std::string buf(static_cast<std::size_t>(len) + 1, '\0');
      H5Iget_name(scale, buf.data(), buf.size());
      buf.resize(static_cast<std::size_t>(len));
      const auto slash = buf.rfind('/');
      name = slash == std::string::npos ? buf : buf.substr(slash + 1);
    }
    if (name.empty()) {
      const ssize_t n = H5DSget_scale_name(scale, nullptr, 0);
      if (n > 0) {
        std::string buf(static_cast<std::size_t>(n) + 1, '\0');
        H5DSget_scale_name(scale, buf.data(), buf.size());
        buf.resize(static_cast<std::size_t>(n));
        name = buf;
      }
    }
    out->found = true;
    out->name = name;
  } catch (...) {
    return -1;
  }
  return 0;
}

std::string trim_fixed_string(const char* data, std::size_t size, H5T_str_t pad) {
  std::size_t len = 0;
  while (len < size && data[len] != '\0') ++len;
  std::string s(data, len);
  if (pad == H5T_STR_SPACEPAD) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
  }
  return s;
}

/// Number of elements of a dataspace, with a sanity limit so that a damaged file cannot make us
/// allocate absurd amounts.
std::size_t element_count(hid_t space, std::size_t element_size, const std::string& ctx) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) fail_hdf5(ctx);
  if (static_cast<std::uint64_t>(n) > std::numeric_limits<std::size_t>::max() / element_size / 2)
    throw IoError(ctx + ": dataset is too large to read");
  return static_cast<std::size_t>(n);
}

/// Reads every attribute of `obj` that is a string, integer or real with a single element.
Attributes read_attributes(hid_t obj, const std::string& ctx) {
  std::vector<std::string> names;
  check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr_name_cb, &names), ctx);
  Attributes out;
  for (const auto& name : names) {
    if (reserved_attribute(name)) continue;
    const std::string actx = ctx + " (attribute '" + name + "')";
    Handle attr = own(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, actx);
    Handle space = own(H5Aget_space(attr.get()), H5Sclose, actx);
    const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
    if (space_class == H5S_NULL || space_class == H5S_NO_CLASS) continue;
    Handle type = own(H5Aget_type(attr.get()), H5Tclose, actx);
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (space_class == H5S_SIMPLE && H5Sget_simple_extent_npoints(space.get()) != 1) {
      // 1-D numeric arrays; other shapes are not results attributes.
      if (H5Sget_simple_extent_ndims(space.get()) != 1) continue;
      const std::size_t n = element_count(space.get(), sizeof(double), actx);
      if (n == 0) continue;
      if (type_class == H5T_INTEGER) {
        std::vector<std::int64_t> v(n);
        check(H5Aread(attr.get(), H5T_NATIVE_INT64, v.data()), actx);
        out[name] = std::move(v);
      } else if (type_class == H5T_FLOAT) {
        std::vector<double> v(n);
        check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, v.data()), actx);
        out[name] = std::move(v);
      }
      continue;
    }
    switch (type_class) {
      case H5T_STRING: {
        const htri_t vlen = check_tri(H5Tis_variable_str(type.get()), actx);
        if (vlen > 0) {
          char* ptr = nullptr;
          check(H5Aread(attr.get(), type.get(), &ptr), actx);
          std::string value = ptr != nullptr ? std::string(ptr) : std::string();
          if (ptr != nullptr) H5free_memory(ptr);
          out[name] = std::move(value);
        } else {
          const std::size_t size = H5Tget_size(type.get());
          if (size == 0) fail_hdf5(actx);
          std::string buf(size, '\0');
          check(H5Aread(attr.get(), type.get(), buf.data()), actx);
          out[name] = trim_fixed_string(buf.data(), size, H5Tget_strpad(type.get()));
        }
        break;
      }
      case H5T_INTEGER: {
        std::int64_t v = 0;
        check(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), actx);
        out[name] = v;
        break;
      }
      case H5T_FLOAT: {
        double v = 0;
        check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v), actx);
        out[name] = v;
        break;
      }
      default:
        break;  // enums, compounds, references, arrays: not results attributes
    }
  }
  return out;
}

}  // namespace

// ================================================================================================
// ResultsWriter
// ================================================================================================

struct ResultsWriter::Impl {
  std::string path;
  std::string partial;
  Handle file;
  IoStatus io;                              // filled by the file driver
  std::map<std::string, std::size_t> dims;  // dimension name -> length
  std::set<std::string> objects;            // dimensions and variables written
  bool created = false;                     // we created `partial` (so we may remove it)
  bool committed = false;                   // renamed to `path`: nothing left to clean up
  bool failed = false;                      // an operation failed part-way: commit() refuses

  ~Impl() { discard(); }

  /// Closes everything (ignoring errors, writing nothing more) and removes the partial file.
  void discard() noexcept {
    if (committed) return;
    io.discard = true;
    file.reset();
    if (created) {
      ::unlink(partial.c_str());
      created = false;
    }
  }

  std::string io_reason() const { return std::string(io.what) + ": " + errno_text(io.error); }

  void require_open(const std::string& ctx) const {
    if (committed) throw IoError(ctx + ": the file was already committed");
    if (!file.valid()) throw IoError(ctx + ": the writer is closed after an earlier failure");
    if (io.error != 0) throw IoError(ctx + ": an earlier write failed (" + io_reason() + ")");
  }

  void require_new_name(const std::string& name, const std::string& ctx) const {
    if (!valid_object_name(name))
      throw IoError(ctx + ": invalid name (empty, '.', or contains '/')");
    if (objects.count(name) != 0)
      throw IoError(ctx + ": a variable or dimension of that name already exists");
  }

  /// Runs HDF5 work; any failure, or a write error the driver recorded meanwhile, marks the writer
  /// failed and becomes an IoError naming `ctx` (the driver's errno text wins: it is the cause).
  template <class F>
  void guarded(const std::string& ctx, F&& body) {
    try {
      body();
    } catch (const IoError&) {
      failed = true;
      if (io.error != 0) throw IoError(ctx + ": " + io_reason());
      throw;
    } catch (const std::bad_alloc&) {
      failed = true;
      throw IoError(ctx + ": out of memory");
    }
    if (io.error != 0) {
      failed = true;
      throw IoError(ctx + ": " + io_reason());
    }
  }

  /// The chunk shape of a numeric dataset (chunk_shape()), or none (contiguous) below
  /// kChunkThreshold elements.
  static std::vector<hsize_t> chunked_layout(const std::vector<hsize_t>& shape, hid_t file_type) {
    hsize_t count = 1;
    for (const hsize_t d : shape) count *= d;
    if (shape.empty() || count < kChunkThreshold) return {};
    return chunk_shape(shape, H5Tget_size(file_type));
  }

  /// Creates a dataset; `chunk` (numeric only; empty: contiguous) gives it shuffle + deflate.
  Handle create_dataset(const std::string& name, const std::vector<hsize_t>& shape,
                        const std::vector<hsize_t>& chunk, hid_t file_type, bool numeric,
                        bool is_float, const std::string& ctx) {
    Handle space =
        own(shape.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
            H5Sclose, ctx);
    Handle dcpl = own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, ctx);
    check(H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          ctx);
    check(H5Pset_obj_track_times(dcpl.get(), 0), ctx);
    if (numeric) {
      // Each dataset is written whole, once: writing fill values first would double the I/O.
      check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), ctx);
      if (is_float) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), ctx);
      }
      if (!chunk.empty()) {
        check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), ctx);
        check(H5Pset_shuffle(dcpl.get()), ctx);
        if (deflate_available()) check(H5Pset_deflate(dcpl.get(), kDeflateLevel), ctx);
      }
    }
    return own(H5Dcreate2(file.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                          H5P_DEFAULT),
               H5Dclose, ctx);
  }

  void write_attributes(hid_t obj, const Attributes& attrs, const std::string& what) {
    for (const auto& [key, value] : attrs)
      write_attribute(obj, key, value,
                      "cannot write attribute '" + key + "' of " + what + " to " + path);
  }

  template <class T>
  void write_variable(const std::string& name, const std::vector<std::string>& dim_names,
                      const std::vector<T>& data, const Attributes& attrs, hid_t file_type,
                      hid_t mem_type) {
    quiet_hdf5();
    const std::string ctx = "cannot write variable '" + name + "' to " + path;
    require_open(ctx);
    require_new_name(name, ctx);
    std::vector<hsize_t> shape;
    std::size_t count = 1;
    std::string described;
    for (const auto& d : dim_names) {
      const auto it = dims.find(d);
      if (it == dims.end()) throw IoError(ctx + ": unknown dimension '" + d + "'");
      shape.push_back(static_cast<hsize_t>(it->second));
      if (it->second != 0 && count > std::numeric_limits<std::size_t>::max() / it->second)
        throw IoError(ctx + ": dimensions are too large");
      count *= it->second;
      described += (described.empty() ? "" : " x ") + d + "=" + std::to_string(it->second);
    }
    if (data.size() != count)
      throw IoError(ctx + ": " + std::to_string(data.size()) + " values given but dimensions (" +
                    (described.empty() ? std::string("scalar") : described) + ") need " +
                    std::to_string(count));
    validate_attributes(attrs, ctx);
    guarded(ctx, [&] {
      const std::vector<hsize_t> chunk = chunked_layout(shape, file_type);
      Handle ds = create_dataset(name, shape, chunk, file_type, true, std::is_floating_point_v<T>, ctx);
      objects.insert(name);
      if (!chunk.empty() && deflate_available() && check_tri(H5Tequal(mem_type, file_type), ctx) > 0) {
        static_assert(sizeof(T) == 8, "the writer's variables are int64 or float64");
        write_filtered_chunks(ds.get(), data.data(), shape, chunk, ctx);
      } else if (count > 0) {
        check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), ctx);
      }
      for (std::size_t axis = 0; axis < dim_names.size(); ++axis) {
        Handle scale =
            own(H5Dopen2(file.get(), dim_names[axis].c_str(), H5P_DEFAULT), H5Dclose, ctx);
        check(H5DSattach_scale(ds.get(), scale.get(), static_cast<unsigned>(axis)), ctx);
      }
      write_attributes(ds.get(), attrs, "variable '" + name + "'");
      close_checked(ds, ctx);
    });
  }

  void write_dimension(const std::string& name, std::size_t length, hid_t file_type, hid_t mem_type,
                       const void* data, bool numeric, const std::string& ctx) {
    guarded(ctx, [&] {
      Handle ds =
          create_dataset(name, {static_cast<hsize_t>(length)},
                         numeric ? chunked_layout({static_cast<hsize_t>(length)}, file_type)
                                 : std::vector<hsize_t>{},
                         file_type, numeric, false, ctx);
      objects.insert(name);
      dims[name] = length;
      if (length > 0) check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), ctx);
      check(H5DSset_scale(ds.get(), name.c_str()), ctx);
      close_checked(ds, ctx);
    });
  }
};

ResultsWriter::ResultsWriter(std::string path) : m_impl(std::make_unique<Impl>()) {
  quiet_hdf5();
  Impl& im = *m_impl;
  im.path = std::move(path);
  im.partial = im.path + ".partial";
  const std::string ctx = "cannot create results file " + im.path + " (as " + im.partial + ")";
  if (im.path.empty()) throw IoError("cannot create results file: empty path");
  // Create the file ourselves first: errno gives a clear reason (missing directory, permission).
  const int fd = ::open(im.partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw IoError(ctx + ": " + errno_text(errno));
  ::close(fd);
  im.created = true;  // from here on, ~Impl removes the partial file if anything throws

  im.guarded(ctx, [&] {
    Handle fcpl = own(H5Pcreate(H5P_FILE_CREATE), H5Pclose, ctx);
    check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          ctx);
    check(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          ctx);
    check(H5Pset_obj_track_times(fcpl.get(), 0), ctx);
    Handle fapl = own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, ctx);
    check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), ctx);
#if PHSIM_HDF5_OWN_DRIVER
    const DriverInfo info{&im.io};
    check(H5Pset_driver(fapl.get(), writer_driver(ctx), &info), ctx);
#else
    check(H5Pset_fapl_sec2(fapl.get()), ctx);
    check(H5Pset_file_locking(fapl.get(), 1, 1), ctx);
#endif
    im.file =
        own(H5Fcreate(im.partial.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose, ctx);
  });
}

ResultsWriter::~ResultsWriter() = default;

void ResultsWriter::add_dimension(const std::string& name, const std::vector<std::string>& labels) {
  quiet_hdf5();
  Impl& im = *m_impl;
  const std::string ctx = "cannot write dimension '" + name + "' to " + im.path;
  im.require_open(ctx);
  im.require_new_name(name, ctx);
  std::vector<const char*> ptrs;
  ptrs.reserve(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].find('\0') != std::string::npos)
      throw IoError(ctx + ": label " + std::to_string(i) + " contains a NUL character");
    ptrs.push_back(labels[i].c_str());
  }
  Handle type = vlen_utf8_type(ctx);
  im.write_dimension(name, labels.size(), type.get(), type.get(), ptrs.data(), false, ctx);
}

void ResultsWriter::add_dimension(const std::string& name,
                                  const std::vector<std::int64_t>& values) {
  quiet_hdf5();
  Impl& im = *m_impl;
  const std::string ctx = "cannot write dimension '" + name + "' to " + im.path;
  im.require_open(ctx);
  im.require_new_name(name, ctx);
  im.write_dimension(name, values.size(), H5T_STD_I64LE, H5T_NATIVE_INT64, values.data(), true,
                     ctx);
}

void ResultsWriter::write(const std::string& name, const std::vector<std::string>& dims,
                          const std::vector<std::int64_t>& data, const Attributes& attrs) {
  m_impl->write_variable(name, dims, data, attrs, H5T_STD_I64LE, H5T_NATIVE_INT64);
}

void ResultsWriter::write(const std::string& name, const std::vector<std::string>& dims,
                          const std::vector<double>& data, const Attributes& attrs) {
  m_impl->write_variable(name, dims, data, attrs, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}

void ResultsWriter::set_attributes(const std::string& object, const Attributes& attrs) {
  quiet_hdf5();
  Impl& im = *m_impl;
  const std::string ctx = "cannot set attributes of '" + object + "' in " + im.path;
  im.require_open(ctx);
  if (im.objects.count(object) == 0) throw IoError(ctx + ": no variable or dimension of that name");
  validate_attributes(attrs, ctx);
  const std::string what =
      (im.dims.count(object) != 0 ? "dimension '" : "variable '") + object + "'";
  im.guarded(ctx, [&] {
    Handle ds = own(H5Dopen2(im.file.get(), object.c_str(), H5P_DEFAULT), H5Dclose, ctx);
    im.write_attributes(ds.get(), attrs, what);
    close_checked(ds, ctx);
  });
}

void ResultsWriter::set_root_attributes(const Attributes& attrs) {
  quiet_hdf5();
  Impl& im = *m_impl;
  const std::string ctx = "cannot set root attributes in " + im.path;
  im.require_open(ctx);
  validate_attributes(attrs, ctx);
  im.guarded(ctx, [&] {
    Handle root = own(H5Gopen2(im.file.get(), "/", H5P_DEFAULT), H5Gclose, ctx);
    im.write_attributes(root.get(), attrs, "the file");
    close_checked(root, ctx);
  });
}

void ResultsWriter::commit() {
  quiet_hdf5();
  Impl& im = *m_impl;
  const std::string ctx = "cannot commit results file " + im.path;
  if (im.committed) throw IoError(ctx + ": already committed");
  if (!im.file.valid()) throw IoError(ctx + ": the writer is closed after an earlier failure");
  if (im.failed || im.io.error != 0) {
    const std::string why = im.io.error != 0 ? " (" + im.io_reason() + ")" : "";
    im.discard();
    throw IoError(ctx + ": an earlier write failed" + why);
  }
  try {
    im.guarded(ctx, [&] {
      check(H5Fflush(im.file.get(), H5F_SCOPE_GLOBAL), ctx);
      close_checked(im.file, ctx);  // the driver's close: a late write error lands in im.io
    });
  } catch (...) {
    im.discard();
    throw;
  }
  if (const int err = fsync_path(im.partial, O_RDONLY); err != 0) {
    im.discard();
    throw IoError(ctx + ": cannot sync " + im.partial + ": " + errno_text(err));
  }
  if (std::rename(im.partial.c_str(), im.path.c_str()) != 0) {
    const int err = errno;
    im.discard();
    throw IoError(ctx + ": cannot rename " + im.partial + " to " + im.path + ": " +
                  errno_text(err));
  }
  im.created = false;
  im.committed = true;
  // Make the rename durable. A directory we cannot open for reading (write-only permission) is
  // skipped; a real failure (EIO) removes the file so that nothing looks finished.
  const std::string dir = parent_directory(im.path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    int err = 0;
    if (::fsync(dfd) != 0 && errno != EINVAL && errno != ENOTSUP) err = errno;
    ::close(dfd);
    if (err != 0) {
      ::unlink(im.path.c_str());
      throw IoError(ctx + ": cannot sync directory " + dir + ": " + errno_text(err));
    }
  }
}

const std::string& ResultsWriter::path() const { return m_impl->path; }

// ================================================================================================
// ResultsReader
// ================================================================================================

struct ResultsReader::Impl {
  std::string path;
  Handle file;

  /// Root-level datasets, split into dimension scales and the rest.
  void list(std::vector<std::string>& variables, std::vector<std::string>& dimensions) const {
    quiet_hdf5();
    const std::string ctx = "cannot list the contents of " + path;
    std::vector<std::string> names;
    check(H5Literate(file.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name_cb, &names),
          ctx);
    for (const auto& name : names) {
      const hid_t id = H5Oopen(file.get(), name.c_str(), H5P_DEFAULT);
      if (id < 0) {  // a dangling link: not ours, not fatal
        H5Eclear2(H5E_DEFAULT);
        continue;
      }
      Handle obj(id, H5Oclose);
      if (H5Iget_type(obj.get()) != H5I_DATASET) continue;
      if (check_tri(H5DSis_scale(obj.get()), ctx) > 0) {
        dimensions.push_back(name);
      } else {
        variables.push_back(name);
      }
    }
    std::sort(variables.begin(), variables.end());
    std::sort(dimensions.begin(), dimensions.end());
  }

  bool has(const std::string& name) const {
    quiet_hdf5();
    if (!valid_object_name(name)) return false;
    const htri_t exists = H5Lexists(file.get(), name.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    const hid_t id = H5Oopen(file.get(), name.c_str(), H5P_DEFAULT);
    if (id < 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    Handle obj(id, H5Oclose);
    return H5Iget_type(obj.get()) == H5I_DATASET;
  }

  Handle open_dataset(const std::string& name, const std::string& ctx) const {
    if (!has(name)) throw IoError(ctx + ": no such dataset");
    return own(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose, ctx);
  }

  template <class T>
  std::vector<T> read_numeric(const std::string& name, H5T_class_t expected, hid_t mem_type,
                              const char* kind) const {
    quiet_hdf5();
    const std::string ctx = "cannot read '" + name + "' from " + path;
    Handle ds = open_dataset(name, ctx);
    Handle type = own(H5Dget_type(ds.get()), H5Tclose, ctx);
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != expected) {
      const char* actual = cls == H5T_INTEGER  ? "integer"
                           : cls == H5T_FLOAT  ? "floating-point"
                           : cls == H5T_STRING ? "string"
                                               : "non-numeric";
      throw IoError(ctx + ": it holds " + actual + " values, not " + kind);
    }
    Handle space = own(H5Dget_space(ds.get()), H5Sclose, ctx);
    std::vector<T> out(element_count(space.get(), sizeof(T), ctx));
    if (!out.empty())
      check(H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), ctx);
    return out;
  }
};

ResultsReader::ResultsReader(const std::string& path) : m_impl(std::make_unique<Impl>()) {
  quiet_hdf5();
  m_impl->path = path;
  const std::string ctx = "cannot open results file " + path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw IoError(ctx + ": " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw IoError(ctx + ": " + errno_text(EISDIR));
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd < 0) {
    throw IoError(ctx + ": " + errno_text(errno));
  } else {
    ::close(fd);
  }
  Handle fapl = own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, ctx);
  check(H5Pset_file_locking(fapl.get(), 1, 1), ctx);
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) throw IoError(ctx + ": not a readable HDF5 file (" + hdf5_reason() + ")");
  m_impl->file = Handle(id, H5Fclose);
}

ResultsReader::~ResultsReader() = default;

std::vector<std::string> ResultsReader::variables() const {
  std::vector<std::string> vars, dims;
  m_impl->list(vars, dims);
  return vars;
}

std::vector<std::string> ResultsReader::dimensions() const {
  std::vector<std::string> vars, dims;
  m_impl->list(vars, dims);
  return dims;
}

std::vector<std::string> ResultsReader::dims_of(const std::string& variable) const {
  quiet_hdf5();
  const std::string ctx = "cannot read the dimensions of '" + variable + "' in " + m_impl->path;
  Handle ds = m_impl->open_dataset(variable, ctx);
  if (check_tri(H5DSis_scale(ds.get()), ctx) > 0) return {variable};
  Handle space = own(H5Dget_space(ds.get()), H5Sclose, ctx);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(ctx);
  std::vector<std::string> out;
  for (int axis = 0; axis < rank; ++axis) {
    ScaleName scale;
    if (check_tri(H5DSget_num_scales(ds.get(), static_cast<unsigned>(axis)), ctx) > 0) {
      check(
          H5DSiterate_scales(ds.get(), static_cast<unsigned>(axis), nullptr, scale_name_cb, &scale),
          ctx);
    }
    if (!scale.found || scale.name.empty())
      throw IoError(ctx + ": axis " + std::to_string(axis) + " has no dimension scale attached");
    out.push_back(scale.name);
  }
  return out;
}

std::vector<std::size_t> ResultsReader::shape(const std::string& dataset) const {
  quiet_hdf5();
  const std::string ctx = "cannot read the shape of '" + dataset + "' in " + m_impl->path;
  Handle ds = m_impl->open_dataset(dataset, ctx);
  Handle space = own(H5Dget_space(ds.get()), H5Sclose, ctx);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(ctx);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail_hdf5(ctx);
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

std::vector<std::string> ResultsReader::labels(const std::string& dimension) const {
  quiet_hdf5();
  const std::string ctx = "cannot read the labels of '" + dimension + "' from " + m_impl->path;
  Handle ds = m_impl->open_dataset(dimension, ctx);
  Handle type = own(H5Dget_type(ds.get()), H5Tclose, ctx);
  if (H5Tget_class(type.get()) != H5T_STRING) throw IoError(ctx + ": it is numeric, not labeled");
  Handle space = own(H5Dget_space(ds.get()), H5Sclose, ctx);
  const std::size_t n = element_count(space.get(), sizeof(char*), ctx);
  std::vector<std::string> out;
  if (n == 0) return out;
  out.reserve(n);
  if (check_tri(H5Tis_variable_str(type.get()), ctx) > 0) {
    std::vector<char*> ptrs(n, nullptr);
    check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), ctx);
    struct Reclaim {
      hid_t type, space;
      std::vector<char*>& ptrs;
      ~Reclaim() {
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(type, space, H5P_DEFAULT, ptrs.data());
#else
        H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data());
#endif
      }
    } reclaim{type.get(), space.get(), ptrs};
    for (const char* p : ptrs) out.emplace_back(p != nullptr ? p : "");
  } else {
    const std::size_t size = H5Tget_size(type.get());
    if (size == 0) fail_hdf5(ctx);
    if (n > std::numeric_limits<std::size_t>::max() / size / 2) throw IoError(ctx + ": too large");
    std::string buf(n * size, '\0');
    check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), ctx);
    const H5T_str_t pad = H5Tget_strpad(type.get());
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(trim_fixed_string(buf.data() + i * size, size, pad));
  }
  return out;
}

std::vector<std::int64_t> ResultsReader::read_int64(const std::string& dataset) const {
  return m_impl->read_numeric<std::int64_t>(dataset, H5T_INTEGER, H5T_NATIVE_INT64, "integers");
}

std::vector<double> ResultsReader::read_float64(const std::string& dataset) const {
  return m_impl->read_numeric<double>(dataset, H5T_FLOAT, H5T_NATIVE_DOUBLE,
                                      "floating-point values");
}

Attributes ResultsReader::root_attributes() const {
  quiet_hdf5();
  const std::string ctx = "cannot read the root attributes of " + m_impl->path;
  Handle root = own(H5Gopen2(m_impl->file.get(), "/", H5P_DEFAULT), H5Gclose, ctx);
  return read_attributes(root.get(), ctx);
}

Attributes ResultsReader::attributes(const std::string& dataset) const {
  quiet_hdf5();
  const std::string ctx = "cannot read the attributes of '" + dataset + "' in " + m_impl->path;
  Handle ds = m_impl->open_dataset(dataset, ctx);
  return read_attributes(ds.get(), ctx);
}

bool ResultsReader::has(const std::string& dataset) const { return m_impl->has(dataset); }

}  // namespace phsim
