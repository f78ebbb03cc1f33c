#include "sim/cluster.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <type_traits>
#include <vector>

#if PHSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace phsim {
namespace {

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"}) {
    if (std::getenv(v)) return true;
  }
  return false;
}

#if PHSIM_HAVE_MPI
template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, int>) return MPI_INT;
  else static_assert(sizeof(T) == 0, "no MPI type for this array");
}
#endif

}  // namespace

bool built_with_mpi() { return PHSIM_HAVE_MPI != 0; }

Cluster::Cluster() {
#if PHSIM_HAVE_MPI
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  m_mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &m_size);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, m_rank, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &m_local_size);
  MPI_Comm_free(&local);
#else
  if (launched_by_mpi() && std::getenv("OMPI_COMM_WORLD_RANK") &&
      std::string_view(std::getenv("OMPI_COMM_WORLD_RANK")) == "0") {
    std::fprintf(stderr, "phsim: warning: started by an MPI launcher but built without MPI; every "
                         "process runs the whole job alone\n");
  }
#endif
}

Cluster& Cluster::world() {
  static Cluster c;
  return c;
}

std::pair<std::uint32_t, std::uint32_t> Cluster::replicate_block(int replicates) const {
  const auto r = static_cast<std::uint32_t>(replicates), k = static_cast<std::uint32_t>(m_size);
  const auto me = static_cast<std::uint32_t>(m_rank);
  const std::uint32_t base = r / k, extra = r % k;
  return {me * base + std::min(me, extra), base + (me < extra ? 1u : 0u)};
}

void Cluster::gather_replicates(ScenarioResults& res, int replicates) {
  m_bytes_received = 0;
  if (!m_mpi || m_size == 1) return;
#if PHSIM_HAVE_MPI
  for_each_array(res, [&](const char* name, auto& array) {
    if (is_per_run_array(name)) return;
    using T = typename std::decay_t<decltype(array)>::value_type;
    if constexpr (!std::is_same_v<T, std::string>) {
      const int mine = static_cast<int>(array.size());
      std::vector<int> counts(static_cast<std::size_t>(m_size)), offsets(counts.size(), 0);
      MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
      std::vector<T> all;
      if (m_rank == 0) {
        for (std::size_t i = 1; i < counts.size(); ++i) offsets[i] = offsets[i - 1] + counts[i - 1];
        all.resize(static_cast<std::size_t>(offsets.back() + counts.back()));
      }
      MPI_Gatherv(array.data(), mine, mpi_type<T>(), all.data(), counts.data(), offsets.data(),
                  mpi_type<T>(), 0, MPI_COMM_WORLD);
      if (m_rank == 0) m_bytes_received += static_cast<std::uint64_t>(all.size() - array.size()) * sizeof(T);
      if (m_rank == 0) array = std::move(all);
    }
  });
  double seconds = res.seconds, longest = 0;
  MPI_Reduce(&seconds, &longest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (m_rank == 0) {
    res.seconds = longest;
    res.run.replicates = replicates;
  }
#else
  (void)res;
  (void)replicates;
#endif
}

void Cluster::abort(const std::string& message, int code) {
  if (m_mpi && m_size > 1) {
    std::fprintf(stderr, "phsim: error (rank %d of %d): %s\n", m_rank, m_size, message.c_str());
    std::fflush(stderr);
#if PHSIM_HAVE_MPI
    MPI_Abort(MPI_COMM_WORLD, code);
#endif
  }
  std::fprintf(stderr, "phsim: error: %s\n", message.c_str());
  std::exit(code);
}

void Cluster::sum(std::vector<std::int64_t>& values) {
  m_exchange_bytes += values.size() * sizeof(std::int64_t);
#if PHSIM_HAVE_MPI
  if (m_mpi && m_size > 1) {
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T, MPI_SUM,
                  MPI_COMM_WORLD);
  }
#endif
}

std::vector<std::uint64_t> Cluster::gather_all(const std::vector<std::uint64_t>& values) {
  m_exchange_bytes += values.size() * sizeof(std::uint64_t);
#if PHSIM_HAVE_MPI
  if (m_mpi && m_size > 1) {
    const int mine = static_cast<int>(values.size());
    std::vector<int> counts(static_cast<std::size_t>(m_size)), offsets(counts.size(), 0);
    MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    for (std::size_t i = 1; i < counts.size(); ++i) offsets[i] = offsets[i - 1] + counts[i - 1];
    std::vector<std::uint64_t> all(static_cast<std::size_t>(offsets.back() + counts.back()));
    MPI_Allgatherv(values.data(), mine, MPI_UINT64_T, all.data(), counts.data(), offsets.data(),
                   MPI_UINT64_T, MPI_COMM_WORLD);
    return all;
  }
#endif
  return values;
}

bool Cluster::any(bool flag) {
#if PHSIM_HAVE_MPI
  if (m_mpi && m_size > 1) {
    int mine = flag ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return all != 0;
  }
#endif
  return flag;
}

void Cluster::barrier() {
#if PHSIM_HAVE_MPI
  if (m_mpi) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void Cluster::finalize() {
#if PHSIM_HAVE_MPI
  if (m_mpi) {
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
  }
#endif
}

}  // namespace phsim
