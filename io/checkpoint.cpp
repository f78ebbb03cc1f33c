#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "sim/errors.hpp"

namespace phsim {
namespace {

constexpr char kMagic[8] = {'P', 'H', 'S', 'I', 'M', 'C', 'K', 'P'};
constexpr std::uint32_t kFormatVersion = 1;

/// A 64-bit checksum of a byte stream, independent of how the stream is cut into pieces.
/// Detects damage (truncation, flipped bytes); not a cryptographic hash.
class Checksum {
 public:
  void update(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    m_total += n;
    for (; n > 0 && m_pending != 0; --n) {
      m_buf[m_pending & 7] = *p++;
      if (++m_pending == 8) flush_buffer();
    }
    while (n >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      mix(w);
      p += 8;
      n -= 8;
    }
    for (; n > 0; --n) m_buf[m_pending++ & 7] = *p++;  // n < 8 and nothing pending here
  }
  std::uint64_t value() const {
    Checksum c = *this;
    while (c.m_pending != 0) c.update("", 1);  // zero padding (counted: length mixed below)
    c.mix(m_total);
    std::uint64_t h = c.m_h;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }

 private:
  void mix(std::uint64_t w) {
    m_h ^= w * 0x9E3779B97F4A7C15ull;
    m_h = ((m_h << 31) | (m_h >> 33)) * 0xc4ceb9fe1a85ec53ull;
  }
  void flush_buffer() {
    std::uint64_t w;
    std::memcpy(&w, m_buf, 8);
    mix(w);
    m_pending = 0;
  }
  std::uint64_t m_h = 0x243F6A8885A308D3ull, m_total = 0;
  unsigned char m_buf[8] = {};
  std::size_t m_pending = 0;
};

std::string errno_text(int err) { return std::strerror(err); }

/// Buffered writes to `<path>.partial` with a running checksum; commit() renames.
class Writer {
 public:
  explicit Writer(const std::string& path) : m_path(path), m_partial(path + ".partial") {
    m_fd = ::open(m_partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (m_fd < 0) fail("cannot create " + m_partial, errno);
    m_buf.reserve(kBuffer);
  }
  ~Writer() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_committed) ::unlink(m_partial.c_str());
  }

  void bytes(const void* data, std::size_t n) {
    m_sum.update(data, n);
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
      const std::size_t take = std::min(n, kBuffer - m_buf.size());
      m_buf.insert(m_buf.end(), p, p + take);
      p += take;
      n -= take;
      if (m_buf.size() == kBuffer) drain();
    }
  }
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  void string(const std::string& s) {
    pod<std::uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  template <class T>
  void array(const char* name, const std::vector<T>& v) {
    string(name);
    pod<std::uint64_t>(v.size());
    if constexpr (std::is_same_v<T, std::string>) {
      for (const auto& s : v) string(s);
    } else {
      static_assert(std::is_trivially_copyable_v<T>);
      bytes(v.data(), v.size() * sizeof(T));
    }
  }

  void commit() {
    const std::uint64_t sum = m_sum.value();
    const auto* p = reinterpret_cast<const char*>(&sum);
    m_buf.insert(m_buf.end(), p, p + sizeof sum);
    drain();
    if (::fsync(m_fd) != 0 && errno != EINVAL && errno != ENOTSUP) fail("cannot sync " + m_partial, errno);
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) fail("cannot close " + m_partial, errno);
    if (std::rename(m_partial.c_str(), m_path.c_str()) != 0) {
      fail("cannot rename " + m_partial + " to " + m_path, errno);
    }
    m_committed = true;
    const std::filesystem::path parent = std::filesystem::path(m_path).parent_path();
    const int dfd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

 private:
  static constexpr std::size_t kBuffer = 1 << 20;

  void drain() {
    std::size_t done = 0;
    while (done < m_buf.size()) {
      const ssize_t n = ::write(m_fd, m_buf.data() + done, m_buf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("cannot write " + m_partial, n < 0 ? errno : ENOSPC);
      done += static_cast<std::size_t>(n);
    }
    m_buf.clear();
  }
  [[noreturn]] void fail(const std::string& what, int err) const {
    throw IoError("checkpoint " + m_path + ": " + what + ": " + errno_text(err));
  }

  std::string m_path, m_partial;
  int m_fd = -1;
  bool m_committed = false;
  std::vector<char> m_buf;
  Checksum m_sum;
};

/// Buffered reads with the same checksum; every length is checked against what is left.
class Reader {
 public:
  explicit Reader(const std::string& path) : m_path(path) {
    m_file = std::fopen(path.c_str(), "rb");
    if (!m_file) fail("cannot open: " + errno_text(errno));
    struct stat st{};
    if (::fstat(::fileno(m_file), &st) != 0) fail("cannot stat: " + errno_text(errno));
    m_left = static_cast<std::uint64_t>(st.st_size);
  }
  ~Reader() {
    if (m_file) std::fclose(m_file);
  }

  void bytes(void* data, std::size_t n) {
    if (n > m_left) fail("truncated (the file ends inside its data)");
    if (n > 0 && std::fread(data, 1, n, m_file) != n) fail("read error: " + errno_text(errno));
    m_left -= n;
    m_sum.update(data, n);
  }
  template <class T>
  T pod() {
    T v{};
    bytes(&v, sizeof v);
    return v;
  }
  std::string string() {
    const auto n = pod<std::uint64_t>();
    if (n > m_left) fail("truncated or damaged (a length runs past the end)");
    std::string s(n, '\0');
    bytes(s.data(), n);
    return s;
  }
  template <class T>
  void array(const char* name, std::vector<T>& v) {
    const std::string got = string();
    if (got != name) fail("damaged: expected array '" + std::string(name) + "', found '" + got.substr(0, 64) + "'");
    const auto n = pod<std::uint64_t>();
    if constexpr (std::is_same_v<T, std::string>) {
      if (n > m_left / 8) fail("truncated or damaged (array '" + std::string(name) + "' runs past the end)");
      v.resize(n);
      for (auto& s : v) s = string();
    } else {
      if (n > m_left / sizeof(T)) fail("truncated or damaged (array '" + std::string(name) + "' runs past the end)");
      v.resize(n);
      bytes(v.data(), n * sizeof(T));
    }
  }
  void finish() {
    const std::uint64_t expected = m_sum.value();
    std::uint64_t stored = 0;
    if (m_left != sizeof stored) fail("damaged (" + std::to_string(m_left) + " unexpected bytes at the end)");
    if (std::fread(&stored, 1, sizeof stored, m_file) != sizeof stored) fail("read error");
    if (stored != expected) fail("damaged (checksum mismatch)");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw IoError("checkpoint " + m_path + ": " + what);
  }

 private:
  std::string m_path;
  std::FILE* m_file = nullptr;
  std::uint64_t m_left = 0;
  Checksum m_sum;
};

// One function per part, templated on Writer/Reader, so the two directions cannot drift apart.
// `Io::array` writes or reads a named vector; `scalar` a trivially copyable value.
template <class T>
void scalar(Writer& w, const T& v) { w.pod(v); }
template <class T>
void scalar(Reader& r, T& v) { v = r.pod<T>(); }

template <class Io, class Results>
void results_io(Io& io, Results& res) {
  scalar(io, res.members);
  scalar(io, res.pool);
  scalar(io, res.counties);
  scalar(io, res.plans);
  scalar(io, res.measures);
  scalar(io, res.seconds);
  for_each_array(res, [&](const char* name, auto& a) { io.array(name, a); });
}

template <class Io, class State>
void policy_io(Io& io, State& s) {
  scalar(io, s.years_done);
  io.array("previous_rate", s.previous_rate);
  io.array("effort_logit", s.effort_logit);
  io.array("default_share", s.default_share);
}

template <class Io, class Snapshot>
void engine_io(Io& io, Snapshot& s) {
  scalar(io, s.layout.enrolled);
  scalar(io, s.layout.pool);
  scalar(io, s.layout.capacity);
  scalar(io, s.layout.enrolled_first);
  scalar(io, s.layout.pool_first);
  scalar(io, s.layout.enrolled_total);
  scalar(io, s.layout.pool_total);
  scalar(io, s.seed);
  scalar(io, s.replicates);
  scalar(io, s.start_month);
  scalar(io, s.first_replicate);
#define PHSIM_CHECKPOINT_FIELD(T, name, extent, doc) io.array(#name, s.members.name);
  PHSIM_MEMBER_FIELDS(PHSIM_CHECKPOINT_FIELD)
#undef PHSIM_CHECKPOINT_FIELD
  io.array("events", s.events);
  io.array("live", s.live);
  io.array("next_id", s.next_id);
}

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointHeader& header,
                      const std::vector<ScenarioResults>& finished, const ScenarioCheckpoint& current) {
  Writer w(path);
  w.bytes(kMagic, sizeof kMagic);
  w.pod(kFormatVersion);
  const nlohmann::json json = {{"identity", header.identity},
                               {"phsim_version", header.phsim_version},
                               {"batch_replicates", header.batch_replicates},
                               {"parts_finished", finished.size()},
                               {"months_done", current.months_done}};
  w.string(json.dump());
  for (const auto& res : finished) results_io(w, res);
  scalar(w, current.months_done);
  results_io(w, current.results);
  w.pod<std::uint64_t>(current.policy.size());
  for (const auto& s : current.policy) policy_io(w, s);
  engine_io(w, current.engine);
  w.commit();
}

RunCheckpoint read_checkpoint(const std::string& path) {
  Reader r(path);
  char magic[sizeof kMagic];
  r.bytes(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) r.fail("not a phsim checkpoint");
  const auto version = r.pod<std::uint32_t>();
  if (version != kFormatVersion) {
    r.fail("format version " + std::to_string(version) + ", this phsim reads version " +
           std::to_string(kFormatVersion));
  }
  RunCheckpoint ck;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(r.string());
    ck.header.identity = header.at("identity").get<std::string>();
    ck.header.phsim_version = header.at("phsim_version").get<std::string>();
    ck.header.batch_replicates = header.at("batch_replicates").get<std::uint32_t>();
  } catch (const nlohmann::json::exception&) {
    r.fail("damaged header");
  }
  const auto finished = header.value("parts_finished", std::size_t{0});
  if (finished > 100000) r.fail("damaged header");
  ck.finished.resize(finished);
  for (auto& res : ck.finished) results_io(r, res);
  scalar(r, ck.current.months_done);
  results_io(r, ck.current.results);
  const auto replicates = r.pod<std::uint64_t>();
  if (replicates > 100000) r.fail("damaged (replicate count)");
  ck.current.policy.resize(replicates);
  for (auto& s : ck.current.policy) policy_io(r, s);
  engine_io(r, ck.current.engine);
  r.finish();
  return ck;
}

}  // namespace phsim
