// Tests of io/hdf5_file: round trip, layout choices, atomic commit, errors, damaged files and a
// full disk.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <omp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"

namespace fs = std::filesystem;
using phsim::Attributes;
using phsim::IoError;
using phsim::ResultsReader;
using phsim::ResultsWriter;

namespace {

class Hdf5FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = fs::temp_directory_path() /
            ("phsim_test_hdf5_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  std::string file(const std::string& name) const { return (m_dir / name).string(); }

  fs::path m_dir;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// The message of the IoError thrown by `f`, or a failure if none is thrown.
template <class F>
std::string io_error_of(F&& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected IoError, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected IoError, nothing thrown";
  return {};
}

std::string long_toml(std::size_t bytes) {
  std::string s = "# scenario\n[run]\nname = \"test\"\n";
  for (int i = 0; s.size() < bytes; ++i)
    s += "key_" + std::to_string(i) + " = " + std::to_string(i * 7) + "\n";
  return s;
}

// Layout of a dataset, read with the HDF5 C API directly.
struct Layout {
  H5D_layout_t layout = H5D_LAYOUT_ERROR;
  std::vector<hsize_t> chunk;
  bool shuffle = false;
  bool deflate = false;
};

Layout layout_of(const std::string& path, const std::string& name) {
  Layout out;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  const hid_t p = H5Dget_create_plist(d);
  out.layout = H5Pget_layout(p);
  if (out.layout == H5D_CHUNKED) {
    out.chunk.resize(8);
    out.chunk.resize(static_cast<std::size_t>(H5Pget_chunk(p, 8, out.chunk.data())));
  }
  const int nfilters = H5Pget_nfilters(p);
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0;
    std::size_t n = 0;
    const H5Z_filter_t id =
        H5Pget_filter2(p, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, nullptr);
    out.shuffle |= id == H5Z_FILTER_SHUFFLE;
    out.deflate |= id == H5Z_FILTER_DEFLATE;
  }
  H5Pclose(p);
  H5Dclose(d);
  H5Fclose(f);
  return out;
}

// Dimensions shared by the round-trip tests.
const std::vector<std::string> kScenarios = {"baseline", "expansion", "cuts"};
const std::vector<std::int64_t> kReplicates = {0, 1, 2, 3};
const std::vector<std::int64_t> kYears = {2025, 2026, 2027};
std::vector<std::string> counties() {
  std::vector<std::string> c;
  for (int i = 0; i < 40; ++i) c.push_back("County " + std::to_string(i) + " — ñ");  // UTF-8
  return c;
}
const std::vector<std::string> kPlans = {"Alpha", "Beta", "Gamma", "Delta", "Epsilon"};

std::int64_t cell(std::size_t a, std::size_t b, std::size_t c) {
  return static_cast<std::int64_t>(a * 1000000 + b * 1000 + c) - 5000;
}

void write_sample(const std::string& path, bool commit = true) {
  ResultsWriter w(path);
  w.add_dimension("scenario", kScenarios);
  w.add_dimension("replicate", kReplicates);
  w.add_dimension("year", kYears);
  w.add_dimension("county", counties());
  w.add_dimension("plan", kPlans);
  w.add_dimension("measure", std::vector<std::string>{});  // zero length
  // int64 3-D, small (contiguous).
  std::vector<std::int64_t> small;
  for (std::size_t s = 0; s < 3; ++s)
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t y = 0; y < 3; ++y) small.push_back(cell(s, r, y));
  w.write("small_counts", {"scenario", "replicate", "year"}, small,
          {{"units", std::string("members")}});
  // int64 5-D, large (chunked: 40*3*5*4*3 = 7200 elements), axes in an unusual order.
  std::vector<std::int64_t> big;
  for (std::size_t c = 0; c < 40; ++c)
    for (std::size_t y = 0; y < 3; ++y)
      for (std::size_t p = 0; p < 5; ++p)
        for (std::size_t r = 0; r < 4; ++r)
          for (std::size_t s = 0; s < 3; ++s)
            big.push_back(cell(c, y * 10 + p, r * 10 + s) * 1000003);
  w.write("big_counts", {"county", "year", "plan", "replicate", "scenario"}, big);
  // float64 5-D with NaN (chunked: 3*4*3*40*5 = 7200 elements).
  std::vector<double> rate;
  std::size_t i = 0;
  for (std::size_t s = 0; s < 3; ++s)
    for (std::size_t r = 0; r < 4; ++r)
      for (std::size_t y = 0; y < 3; ++y)
        for (std::size_t c = 0; c < 40; ++c)
          for (std::size_t p = 0; p < 5; ++p, ++i)
            rate.push_back(i % 97 == 13 ? std::numeric_limits<double>::quiet_NaN()
                                        : static_cast<double>(i) / 3.0 - 17.25);
  w.write("rate", {"scenario", "replicate", "year", "county", "plan"}, rate,
          {{"long_name", std::string("a rate")}, {"valid_max", 1.5}, {"level", std::int64_t{3}}});
  // float64 small (contiguous) with NaN and infinities.
  w.write("small_rate", {"plan"},
          std::vector<double>{0.5, std::numeric_limits<double>::quiet_NaN(), -0.0,
                              std::numeric_limits<double>::infinity(), 1e-300});
  // Zero-length variable.
  w.write("per_measure", {"measure", "plan"}, std::vector<double>{});
  // Scalar variable.
  w.write("total", {}, std::vector<std::int64_t>{42});
  w.set_attributes("county", {{"source", std::string("census")}, {"count", std::int64_t{40}}});
  w.set_root_attributes({{"version", std::string("0.1.0")},
                         {"seed", std::int64_t{9007199254740993}},
                         {"scale", 0.1},
                         {"scenario_toml", long_toml(100 * 1024)}});
  if (commit) w.commit();
}

}  // namespace

TEST_F(Hdf5FileTest, RoundTripValuesDimsAndShapes) {
  const std::string path = file("results.h5");
  write_sample(path);
  ResultsReader r(path);

  EXPECT_EQ(r.dimensions(), (std::vector<std::string>{"county", "measure", "plan", "replicate",
                                                      "scenario", "year"}));
  EXPECT_EQ(r.variables(), (std::vector<std::string>{"big_counts", "per_measure", "rate",
                                                     "small_counts", "small_rate", "total"}));
  EXPECT_EQ(r.labels("scenario"), kScenarios);
  EXPECT_EQ(r.labels("county"), counties());
  EXPECT_EQ(r.labels("plan"), kPlans);
  EXPECT_TRUE(r.labels("measure").empty());
  EXPECT_EQ(r.read_int64("replicate"), kReplicates);
  EXPECT_EQ(r.read_int64("year"), kYears);
  EXPECT_THROW(r.labels("year"), IoError);

  EXPECT_EQ(r.dims_of("small_counts"), (std::vector<std::string>{"scenario", "replicate", "year"}));
  EXPECT_EQ(r.dims_of("big_counts"),
            (std::vector<std::string>{"county", "year", "plan", "replicate", "scenario"}));
  EXPECT_EQ(r.dims_of("rate"),
            (std::vector<std::string>{"scenario", "replicate", "year", "county", "plan"}));
  EXPECT_EQ(r.dims_of("per_measure"), (std::vector<std::string>{"measure", "plan"}));
  EXPECT_EQ(r.dims_of("county"), (std::vector<std::string>{"county"}));
  EXPECT_TRUE(r.dims_of("total").empty());

  EXPECT_EQ(r.shape("small_counts"), (std::vector<std::size_t>{3, 4, 3}));
  EXPECT_EQ(r.shape("rate"), (std::vector<std::size_t>{3, 4, 3, 40, 5}));
  EXPECT_EQ(r.shape("per_measure"), (std::vector<std::size_t>{0, 5}));
  EXPECT_EQ(r.shape("measure"), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(r.shape("total").empty());

  // Every element.
  const auto small = r.read_int64("small_counts");
  ASSERT_EQ(small.size(), 36u);
  std::size_t i = 0;
  for (std::size_t s = 0; s < 3; ++s)
    for (std::size_t rr = 0; rr < 4; ++rr)
      for (std::size_t y = 0; y < 3; ++y) EXPECT_EQ(small[i++], cell(s, rr, y));
  const auto big = r.read_int64("big_counts");
  ASSERT_EQ(big.size(), 40u * 3 * 5 * 4 * 3);
  i = 0;
  for (std::size_t c = 0; c < 40; ++c)
    for (std::size_t y = 0; y < 3; ++y)
      for (std::size_t p = 0; p < 5; ++p)
        for (std::size_t rr = 0; rr < 4; ++rr)
          for (std::size_t s = 0; s < 3; ++s)
            ASSERT_EQ(big[i++], cell(c, y * 10 + p, rr * 10 + s) * 1000003);
  const auto rate = r.read_float64("rate");
  ASSERT_EQ(rate.size(), 7200u);
  for (std::size_t k = 0; k < rate.size(); ++k) {
    if (k % 97 == 13) {
      ASSERT_TRUE(std::isnan(rate[k])) << k;
    } else {
      ASSERT_EQ(rate[k], static_cast<double>(k) / 3.0 - 17.25) << k;
    }
  }
  const auto small_rate = r.read_float64("small_rate");
  ASSERT_EQ(small_rate.size(), 5u);
  EXPECT_EQ(small_rate[0], 0.5);
  EXPECT_TRUE(std::isnan(small_rate[1]));
  EXPECT_TRUE(std::signbit(small_rate[2]));
  EXPECT_EQ(small_rate[3], std::numeric_limits<double>::infinity());
  EXPECT_EQ(small_rate[4], 1e-300);
  EXPECT_TRUE(r.read_float64("per_measure").empty());
  EXPECT_EQ(r.read_int64("total"), (std::vector<std::int64_t>{42}));

  // Type mismatches.
  EXPECT_NE(io_error_of([&] { r.read_int64("rate"); }).find("'rate'"), std::string::npos);
  EXPECT_THROW(r.read_float64("small_counts"), IoError);
  EXPECT_THROW(r.read_float64("county"), IoError);
  EXPECT_NE(io_error_of([&] { r.read_int64("nope"); }).find("no such dataset"), std::string::npos);
  EXPECT_TRUE(r.has("rate"));
  EXPECT_TRUE(r.has("county"));
  EXPECT_FALSE(r.has("nope"));
  EXPECT_FALSE(r.has("a/b"));
  EXPECT_FALSE(r.has(""));
}

TEST_F(Hdf5FileTest, AttributesOfEveryTypeOnRootVariablesAndDimensions) {
  const std::string path = file("attrs.h5");
  write_sample(path);
  ResultsReader r(path);
  const Attributes root = r.root_attributes();
  ASSERT_EQ(root.size(), 4u);
  EXPECT_EQ(std::get<std::string>(root.at("version")), "0.1.0");
  EXPECT_EQ(std::get<std::int64_t>(root.at("seed")), 9007199254740993);
  EXPECT_EQ(std::get<double>(root.at("scale")), 0.1);
  EXPECT_EQ(std::get<std::string>(root.at("scenario_toml")), long_toml(100 * 1024));

  const Attributes rate = r.attributes("rate");
  ASSERT_EQ(rate.size(), 3u);
  EXPECT_EQ(std::get<std::string>(rate.at("long_name")), "a rate");
  EXPECT_EQ(std::get<double>(rate.at("valid_max")), 1.5);
  EXPECT_EQ(std::get<std::int64_t>(rate.at("level")), 3);

  // Dimension-scale bookkeeping (CLASS, NAME, REFERENCE_LIST) is hidden.
  const Attributes county = r.attributes("county");
  ASSERT_EQ(county.size(), 2u);
  EXPECT_EQ(std::get<std::string>(county.at("source")), "census");
  EXPECT_EQ(std::get<std::int64_t>(county.at("count")), 40);
  EXPECT_TRUE(r.attributes("small_counts").count("units"));
  EXPECT_TRUE(r.attributes("big_counts").empty());
}

TEST_F(Hdf5FileTest, SettingAnAttributeAgainReplacesIt) {
  const std::string path = file("replace.h5");
  {
    ResultsWriter w(path);
    w.add_dimension("plan", kPlans);
    w.write("v", {"plan"}, std::vector<double>(5, 1.0), {{"a", std::int64_t{1}}});
    w.set_attributes("v", {{"a", std::string("now text")}});
    w.set_attributes("plan", {{"b", 2.0}});
    w.set_attributes("plan", {{"b", std::int64_t{-7}}});
    // More than 8 root attributes (dense attribute storage), then replace some of them.
    Attributes many;
    for (int i = 0; i < 20; ++i) {
      std::string key = "k";
      key += std::to_string(i);
      many[key] = std::int64_t{i};
    }
    w.set_root_attributes(many);
    w.set_root_attributes(
        {{"k3", std::string("three")}, {"k17", 17.5}, {"created", std::string("now")}});
    w.set_root_attributes({{"k3", std::string("three again")}});
    w.commit();
  }
  ResultsReader r(path);
  EXPECT_EQ(std::get<std::string>(r.attributes("v").at("a")), "now text");
  EXPECT_EQ(std::get<std::int64_t>(r.attributes("plan").at("b")), -7);
  const Attributes root = r.root_attributes();
  EXPECT_EQ(root.size(), 21u);
  EXPECT_EQ(std::get<std::string>(root.at("k3")), "three again");
  EXPECT_EQ(std::get<double>(root.at("k17")), 17.5);
  EXPECT_EQ(std::get<std::int64_t>(root.at("k19")), 19);
  EXPECT_EQ(std::get<std::string>(root.at("created")), "now");
}

TEST_F(Hdf5FileTest, LargeDatasetsAreChunkedAndCompressedSmallOnesContiguous) {
  const std::string path = file("layout.h5");
  write_sample(path);
  const Layout small = layout_of(path, "small_counts");
  EXPECT_EQ(small.layout, H5D_CONTIGUOUS);
  EXPECT_FALSE(small.deflate);
  const Layout rate = layout_of(path, "rate");
  EXPECT_EQ(rate.layout, H5D_CHUNKED);
  EXPECT_TRUE(rate.shuffle);
  EXPECT_TRUE(rate.deflate);
  ASSERT_EQ(rate.chunk.size(), 5u);
  for (const hsize_t c : rate.chunk) EXPECT_GE(c, 1u);
  EXPECT_EQ(layout_of(path, "big_counts").layout, H5D_CHUNKED);
  EXPECT_EQ(layout_of(path, "per_measure").layout, H5D_CONTIGUOUS);

  // A dataset larger than 1 MiB gets several chunks of at most 1 MiB, trailing axes whole.
  const std::string big_path = file("big.h5");
  {
    ResultsWriter w(big_path);
    std::vector<std::int64_t> rows(300), cols(1000);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::int64_t>(i);
    for (std::size_t i = 0; i < cols.size(); ++i) cols[i] = static_cast<std::int64_t>(i);
    w.add_dimension("row", rows);
    w.add_dimension("col", cols);
    std::vector<double> data(300 * 1000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::sin(static_cast<double>(i));
    w.write("x", {"row", "col"}, data);
    w.commit();
    ResultsReader r(big_path);
    EXPECT_EQ(r.read_float64("x"), data);
  }
  const Layout x = layout_of(big_path, "x");
  ASSERT_EQ(x.layout, H5D_CHUNKED);
  ASSERT_EQ(x.chunk.size(), 2u);
  EXPECT_EQ(x.chunk[1], 1000u);
  EXPECT_LE(x.chunk[0] * x.chunk[1] * 8, 1u << 20);
  EXPECT_GE(x.chunk[0], 100u);
}

/// Every stored chunk of dataset `name` in `path`: its filter mask and bytes, by chunk index.
struct StoredChunk {
  std::vector<hsize_t> offset;
  std::uint32_t filter_mask = 0;
  std::vector<unsigned char> bytes;
};
std::vector<StoredChunk> stored_chunks(const std::string& path, const std::string& name) {
  std::vector<StoredChunk> out;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  const hid_t space = H5Dget_space(d);
  const int rank = H5Sget_simple_extent_ndims(space);
  hsize_t n = 0;
  EXPECT_GE(H5Dget_num_chunks(d, space, &n), 0);
  for (hsize_t i = 0; i < n; ++i) {
    StoredChunk c;
    c.offset.resize(static_cast<std::size_t>(rank));
    unsigned mask = 0;
    haddr_t addr = 0;
    hsize_t size = 0;
    EXPECT_GE(H5Dget_chunk_info(d, space, i, c.offset.data(), &mask, &addr, &size), 0);
    c.bytes.resize(static_cast<std::size_t>(size));
    EXPECT_GE(H5Dread_chunk(d, H5P_DEFAULT, c.offset.data(), &c.filter_mask, c.bytes.data()), 0);
    out.push_back(std::move(c));
  }
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return out;
}

/// Writes `data` as dataset `name` of `shape` into a new file with HDF5's own filter pipeline
/// (H5Dwrite) and the given chunk shape, shuffle and deflate level 4.
template <class T>
void write_with_hdf5_filters(const std::string& path, const std::string& name,
                             const std::vector<hsize_t>& shape, const std::vector<hsize_t>& chunk,
                             const std::vector<T>& data) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t space = H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
  H5Pset_shuffle(dcpl);
  H5Pset_deflate(dcpl, 4);
  const hid_t type = std::is_same_v<T, double> ? H5T_IEEE_F64LE : H5T_STD_I64LE;
  const hid_t mem = std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
  const hid_t d = H5Dcreate2(f, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  EXPECT_GE(H5Dwrite(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), 0);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
}

// The writer filters chunks on the host's threads and writes them directly (H5Dwrite_chunk). The
// chunks it stores must be, byte for byte, those HDF5's own shuffle + deflate pipeline stores for
// the same data and chunk shape, on any number of threads: leading axes in chunks of one, a last
// chunk that runs past the extent, more chunks than one batch of the threads.
TEST_F(Hdf5FileTest, ChunksAreTheBytesOfHdf5sOwnFiltersOnAnyNumberOfThreads) {
  std::mt19937_64 rng(11);
  std::vector<double> rates(2 * 5 * 1000 * 37);  // leading axis 2, axis of 5 split 3 + 2
  for (auto& v : rates) v = (rng() % 7 == 0) ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(rng() % 1000) / 7.0;
  std::vector<std::int64_t> counts(2000001);  // 1-D in 16 chunks, the last one short
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::int64_t>(i % 977) - (rng() % 3 == 0 ? 5000 : 0);
  // Chunks of zeros, which the writer filters once: the first chunk of `rate` (a 0, b 0-2), the
  // short last one (a 1, b 3-4), and the one before it but for a single -0.0 (not zero bits);
  // of `count`, the first chunks and the last (chunks of at most 250,000 elements: checked below).
  std::fill(rates.begin(), rates.begin() + 3 * 1000 * 37, 0.0);
  std::fill(rates.end() - 5 * 1000 * 37, rates.end(), 0.0);
  rates[rates.size() - 5 * 1000 * 37 + 4321] = -0.0;
  std::fill(counts.begin(), counts.begin() + 500000, 0);
  std::fill(counts.end() - 250001, counts.end(), 0);
  const auto labels = [](std::size_t n) {
    std::vector<std::int64_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int64_t>(i);
    return v;
  };
  const int threads_before = omp_get_max_threads();
  for (const int threads : {1, 3}) {
    omp_set_num_threads(threads);
    const std::string path = file("direct" + std::to_string(threads) + ".h5");
    {
      ResultsWriter w(path);
      w.add_dimension("a", labels(2));
      w.add_dimension("b", labels(5));
      w.add_dimension("c", labels(1000));
      w.add_dimension("d", labels(37));
      w.add_dimension("i", labels(counts.size()));
      w.write("rate", {"a", "b", "c", "d"}, rates);
      w.write("count", {"i"}, counts);
      w.commit();
      ResultsReader r(path);
      const std::vector<double> back = r.read_float64("rate");
      ASSERT_EQ(back.size(), rates.size());
      EXPECT_EQ(std::memcmp(back.data(), rates.data(), rates.size() * sizeof(double)), 0);
      EXPECT_EQ(r.read_int64("count"), counts);
    }
    const Layout rate = layout_of(path, "rate");
    ASSERT_EQ(rate.chunk, (std::vector<hsize_t>{1, 3, 1000, 37}));
    const Layout count = layout_of(path, "count");
    ASSERT_EQ(count.chunk.size(), 1u);
    ASSERT_EQ(counts.size() % count.chunk[0] != 0, true);
    ASSERT_LE(count.chunk[0], 250000u);  // so the first two chunks and the last are zeros
    EXPECT_GT((counts.size() + count.chunk[0] - 1) / count.chunk[0], 12u);  // > one batch of 3 threads

    const std::string ref_rate = file("hdf5_rate.h5"), ref_count = file("hdf5_count.h5");
    write_with_hdf5_filters(ref_rate, "rate", {2, 5, 1000, 37}, rate.chunk, rates);
    write_with_hdf5_filters(ref_count, "count", {counts.size()}, count.chunk, counts);
    for (const auto& [ours, theirs, name] :
         {std::tuple{path, ref_rate, std::string("rate")}, std::tuple{path, ref_count, std::string("count")}}) {
      const std::vector<StoredChunk> a = stored_chunks(ours, name), b = stored_chunks(theirs, name);
      ASSERT_EQ(a.size(), b.size()) << name;
      ASSERT_GE(a.size(), 4u) << name;
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].offset, b[i].offset) << name << " chunk " << i;
        EXPECT_EQ(a[i].filter_mask, 0u) << name << " chunk " << i;
        EXPECT_EQ(a[i].filter_mask, b[i].filter_mask) << name << " chunk " << i;
        EXPECT_EQ(a[i].bytes, b[i].bytes) << name << " chunk " << i << " of " << threads << " thread(s)";
      }
    }
  }
  omp_set_num_threads(threads_before);
}

TEST_F(Hdf5FileTest, FileFormatIsV18WithCreationOrderTracked) {
  const std::string path = file("format.h5");
  write_sample(path);
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t fcpl = H5Fget_create_plist(f);
  unsigned super = 0, freelist = 0, stab = 0, shhdr = 0;
  ASSERT_GE(H5Pget_version(fcpl, &super, &freelist, &stab, &shhdr), 0);
  EXPECT_EQ(super, 2u);  // v1.8 format
  H5Pclose(fcpl);
  const hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  const hid_t gcpl = H5Gget_create_plist(root);
  unsigned order = 0;
  ASSERT_GE(H5Pget_link_creation_order(gcpl, &order), 0);
  EXPECT_EQ(order, unsigned{H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED});
  H5Pclose(gcpl);
  H5Gclose(root);
  H5Fclose(f);
}

TEST_F(Hdf5FileTest, CommitIsAtomic) {
  const std::string path = file("atomic.h5");
  const std::string partial = path + ".partial";
  {
    ResultsWriter w(path);
    EXPECT_EQ(w.path(), path);
    EXPECT_TRUE(fs::exists(partial));
    EXPECT_FALSE(fs::exists(path));
    w.add_dimension("plan", kPlans);
    w.write("v", {"plan"}, std::vector<std::int64_t>{1, 2, 3, 4, 5});
    EXPECT_TRUE(fs::exists(partial));
    EXPECT_FALSE(fs::exists(path));
    w.commit();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(partial));
    // Nothing more after commit.
    EXPECT_THROW(w.write("w", {"plan"}, std::vector<std::int64_t>(5, 0)), IoError);
    EXPECT_THROW(w.commit(), IoError);
  }
  // Destruction after commit does nothing.
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_EQ(ResultsReader(path).read_int64("v"), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(Hdf5FileTest, WriterDestroyedWithoutCommitLeavesNothing) {
  const std::string path = file("abandoned.h5");
  write_sample(path, /*commit=*/false);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(Hdf5FileTest, ExistingFileUntouchedWithoutCommitAndReplacedOnCommit) {
  const std::string path = file("existing.h5");
  spit(path, "previous results");
  {
    ResultsWriter w(path);
    w.add_dimension("plan", kPlans);
    w.write("v", {"plan"}, std::vector<double>(5, 2.5));
  }
  EXPECT_EQ(slurp(path), "previous results");
  EXPECT_FALSE(fs::exists(path + ".partial"));
  {
    ResultsWriter w(path);
    w.add_dimension("plan", kPlans);
    w.write("v", {"plan"}, std::vector<double>(5, 2.5));
    w.commit();
  }
  EXPECT_EQ(ResultsReader(path).read_float64("v"), std::vector<double>(5, 2.5));
}

TEST_F(Hdf5FileTest, MissingDirectoryIsAnIoErrorNamingIt) {
  const std::string dir = file("no_such_dir");
  const std::string msg = io_error_of([&] { ResultsWriter w(dir + "/out.h5"); });
  EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(Hdf5FileTest, InvalidWritesAreIoErrorsAndDoNotSpoilTheFile) {
  const std::string path = file("invalid.h5");
  ResultsWriter w(path);
  w.add_dimension("plan", kPlans);
  w.add_dimension("year", kYears);
  std::string msg = io_error_of([&] {
    w.write("enrollment_member_months", {"year", "plan"}, std::vector<std::int64_t>(14));
  });
  EXPECT_NE(msg.find("'enrollment_member_months'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("15"), std::string::npos) << msg;
  msg = io_error_of([&] { w.write("v", {"year", "county"}, std::vector<double>(3)); });
  EXPECT_NE(msg.find("unknown dimension 'county'"), std::string::npos) << msg;
  EXPECT_THROW(w.add_dimension("plan", kPlans), IoError);                    // duplicate
  EXPECT_THROW(w.write("plan", {"plan"}, std::vector<double>(5)), IoError);  // clashes with a dim
  EXPECT_THROW(w.write("a/b", {"plan"}, std::vector<double>(5)), IoError);
  EXPECT_THROW(w.write("", {"plan"}, std::vector<double>(5)), IoError);
  EXPECT_THROW(w.set_attributes("nope", {{"a", 1.0}}), IoError);
  EXPECT_THROW(w.set_attributes("plan", {{"CLASS", std::string("x")}}), IoError);
  EXPECT_THROW(w.set_root_attributes({{"", 1.0}}), IoError);
  EXPECT_THROW(w.add_dimension("bad", std::vector<std::string>{std::string("a\0b", 3)}), IoError);
  // None of that made the file unusable.
  w.write("v", {"year", "plan"}, std::vector<std::int64_t>(15, 7));
  w.commit();
  ResultsReader r(path);
  EXPECT_EQ(r.variables(), (std::vector<std::string>{"v"}));
  EXPECT_EQ(r.read_int64("v"), std::vector<std::int64_t>(15, 7));
}

TEST_F(Hdf5FileTest, RenameFailureIsAnIoErrorAndRemovesThePartialFile) {
  const std::string path = file("is_a_dir.h5");
  fs::create_directories(fs::path(path) / "inside");
  ResultsWriter w(path);
  w.add_dimension("plan", kPlans);
  const std::string msg = io_error_of([&] { w.commit(); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("Is a directory"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(path + ".partial"));
  EXPECT_TRUE(fs::is_directory(fs::path(path) / "inside"));
}

TEST_F(Hdf5FileTest, ReadingMissingOrGarbageFilesIsAnIoError) {
  const std::string missing = file("missing.h5");
  std::string msg = io_error_of([&] { ResultsReader r(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;

  const std::string garbage = file("garbage.h5");
  std::mt19937_64 rng(12345);
  std::string bytes(64 * 1024, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  spit(garbage, bytes);
  msg = io_error_of([&] { ResultsReader r(garbage); });
  EXPECT_NE(msg.find(garbage), std::string::npos) << msg;

  // The HDF5 signature followed by garbage.
  const std::string fake = file("fake.h5");
  spit(fake, std::string("\x89HDF\r\n\x1a\n", 8) + bytes);
  EXPECT_THROW(ResultsReader r(fake), IoError);

  spit(file("empty.h5"), "");
  EXPECT_THROW(ResultsReader r(file("empty.h5")), IoError);
  EXPECT_THROW(ResultsReader r(m_dir.string()), IoError);  // a directory
}

TEST_F(Hdf5FileTest, ReadingATruncatedFileIsAnIoError) {
  const std::string path = file("whole.h5");
  write_sample(path);
  const std::string bytes = slurp(path);
  ASSERT_GT(bytes.size(), 4096u);
  for (const std::size_t keep :
       {std::size_t{0}, std::size_t{7}, std::size_t{100}, std::size_t{2048}, bytes.size() / 3,
        bytes.size() / 2, bytes.size() - 4096, bytes.size() - 1}) {
    const std::string cut = file("cut.h5");
    spit(cut, bytes.substr(0, keep));
    const std::string msg = io_error_of([&] {
      ResultsReader r(cut);
      for (const auto& v : r.variables()) r.shape(v);
    });
    EXPECT_NE(msg.find(cut), std::string::npos) << keep << ": " << msg;
  }
}

// ---- a full disk
// ---------------------------------------------------------------------------------
//
// Simulated in a child process, so that limits and mounts stay there: with RLIMIT_FSIZE (write()
// fails with EFBIG past the limit; SIGXFSZ is ignored) and, where a mount namespace can be made
// (root), with a 1 MiB tmpfs (ENOSPC). The child's stderr goes to a file that must stay empty (no
// HDF5 diagnostics), and the child exits through exit(), so HDF5's shutdown runs too.

/// Runs `body` in a forked child; returns its exit code, or -signal if it was killed.
template <class F>
int run_in_child(const std::string& stderr_path, F&& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1000;
  if (pid == 0) {
    // The parent's OpenMP threads do not exist here: the writer's loops run on this thread alone.
    omp_set_num_threads(1);
    if (!std::freopen(stderr_path.c_str(), "w", stderr)) ::_exit(50);
    int code = 60;
    try {
      code = body();
    } catch (...) {
      code = 61;
    }
    std::fflush(nullptr);
    std::exit(code);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1001;
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1002;
}

bool limit_file_size(rlim_t bytes) {
  ::signal(SIGXFSZ, SIG_IGN);
  const rlimit limit{bytes, bytes};
  return ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
}

/// Writes an incompressible variable of rows x 500 doubles and commits. Returns 0 on success,
/// 1 on an IoError (its message stored in `message`).
int write_noise(const std::string& path, std::size_t rows, std::string& message) {
  try {
    ResultsWriter w(path);
    std::vector<std::int64_t> n(rows);
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::int64_t>(i);
    w.add_dimension("n", n);
    w.add_dimension("m", std::vector<std::int64_t>(500, 1));
    std::mt19937_64 rng(rows);
    std::vector<double> noise(rows * 500);
    for (auto& x : noise) x = static_cast<double>(rng()) / 3.0;
    w.write("noise", {"n", "m"}, noise, {{"note", std::string(3000, 'x')}});
    w.set_root_attributes({{"scenario_toml", long_toml(20000)}});
    w.commit();
    return 0;
  } catch (const IoError& e) {
    message = e.what();
    return 1;
  }
}

TEST_F(Hdf5FileTest, FullDiskIsAnIoErrorAndLeavesNoFile) {
  const std::string path = file("full.h5");
  const std::string err_path = file("child_stderr.txt");
  spit(path, "previous results");
  const int code = run_in_child(err_path, [&] {
    if (!limit_file_size(1 << 20)) return 51;
    std::string msg;
    if (write_noise(path, 1000, msg) != 1) return 10;  // 4 MB cannot fit
    std::ofstream(path + ".msg") << msg;
    return msg.find(path) != std::string::npos && msg.find("'noise'") != std::string::npos &&
                   msg.find("File too large") != std::string::npos
               ? 42
               : 43;
  });
  EXPECT_EQ(code, 42) << slurp(path + ".msg");
  EXPECT_EQ(slurp(path), "previous results");
  EXPECT_FALSE(fs::exists(path + ".partial"));
  EXPECT_EQ(slurp(err_path), "");
}

// Sizes around the limit: the write fails in H5Dwrite, in the metadata flush of commit(), or not at
// all. Each attempt either commits a complete, readable file or throws IoError and leaves nothing.
TEST_F(Hdf5FileTest, FullDiskAtEverySizeAroundTheLimit) {
  const std::string err_path = file("child_stderr.txt");
  const std::string report = file("report.txt");
  const int code = run_in_child(err_path, [&] {
    if (!limit_file_size(1 << 20)) return 51;
    std::ofstream out(report);
    int ok = 0, failed = 0;
    for (std::size_t rows = 250; rows <= 350; rows += 4) {
      const std::string path = file("sweep_" + std::to_string(rows) + ".h5");
      std::string msg;
      const int r = write_noise(path, rows, msg);
      if (fs::exists(path + ".partial")) return 20;
      if (r == 0) {
        ++ok;
        ResultsReader reader(path);
        if (reader.read_float64("noise").size() != rows * 500) return 21;
        if (std::get<std::string>(reader.root_attributes().at("scenario_toml")) != long_toml(20000))
          return 22;
        fs::remove(path);
      } else {
        ++failed;
        if (fs::exists(path)) return 23;
        if (msg.find("File too large") == std::string::npos) {
          out << "unexpected message: " << msg << "\n";
          return 24;
        }
        out << rows << ": " << msg << "\n";
      }
    }
    out << ok << " committed, " << failed << " failed\n";
    return ok > 0 && failed > 0 ? 0 : 25;
  });
  EXPECT_EQ(code, 0) << slurp(report);
  EXPECT_EQ(slurp(err_path), "");
}

TEST_F(Hdf5FileTest, FullTmpfsIsAnIoErrorAndLeavesNoFile) {
  const std::string mnt = file("mnt");
  fs::create_directories(mnt);
  const std::string path = mnt + "/full.h5";
  const std::string msg_path = file("msg.txt");
  const std::string err_path = file("child_stderr.txt");
  const int code = run_in_child(err_path, [&] {
    // A private mount namespace with a 1 MiB tmpfs; needs CAP_SYS_ADMIN.
    if (::unshare(CLONE_NEWNS) != 0) return 77;
    if (::mount("none", "/", "none", MS_REC | MS_PRIVATE, nullptr) != 0) return 77;
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) return 77;
    spit(path, "previous results");
    std::string msg;
    const int r = write_noise(path, 1000, msg);
    std::ofstream(msg_path) << msg;
    if (r != 1) return 10;
    if (slurp(path) != "previous results" || fs::exists(path + ".partial")) return 11;
    return msg.find(path) != std::string::npos &&
                   msg.find("No space left on device") != std::string::npos
               ? 42
               : 43;
  });
  if (code == 77) GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here";
  EXPECT_EQ(code, 42) << slurp(msg_path);
  EXPECT_EQ(slurp(err_path), "");
}
