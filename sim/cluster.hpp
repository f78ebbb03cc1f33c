#pragma once
/// @file The processes of one run (DESIGN.md §11): MPI ranks when phsim was started by an MPI
/// launcher (mpirun, srun) and built with MPI, otherwise a single process. Ranks split each
/// scenario's replicates into contiguous blocks in rank order; rank 0 gathers the blocks and
/// writes the one output file, identical to a single process's.
#include <cstdint>
#include <string>
#include <utility>

#include "sim/runner.hpp"

namespace phsim {

class Cluster final : public MemberExchange {
 public:
  /// The run's processes. Initializes MPI on first use when launched by an MPI launcher
  /// (environment OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE) and built with MPI.
  static Cluster& world();

  int rank() const { return m_rank; }
  int size() const { return m_size; }
  bool distributed() const { return m_size > 1; }
  /// Ranks on this node (for the default thread count); 1 without MPI.
  int local_size() const { return m_local_size; }

  /// This rank's block [first, first + count) of `replicates` (count may be 0 when there are
  /// fewer replicates than ranks). Blocks are contiguous and in rank order.
  std::pair<std::uint32_t, std::uint32_t> replicate_block(int replicates) const;

  /// Gathers every rank's block of a scenario to rank 0, concatenated along the replicate
  /// axis, with `run.replicates` = `replicates`; the wall time is the longest rank's. On other
  /// ranks `res` is left as it is. Ranks with an empty block pass a default ScenarioResults.
  /// Collective: every rank calls it for every scenario, in the same order.
  void gather_replicates(ScenarioResults& res, int replicates);

  /// Bytes rank 0 received from the other ranks in the last gather_replicates (0 elsewhere).
  std::uint64_t bytes_received() const { return m_bytes_received; }

  /// Ends the whole job: prints `message` naming this rank and aborts every rank (MPI_Abort).
  [[noreturn]] void abort(const std::string& message, int code);

  /// MemberExchange over every rank (member-sharded runs).
  void sum(std::vector<std::int64_t>& values) override;
  std::vector<std::uint64_t> gather_all(const std::vector<std::uint64_t>& values) override;
  bool any(bool flag) override;

  /// Bytes this rank has sent through the MemberExchange operations so far.
  std::uint64_t exchange_bytes_sent() const { return m_exchange_bytes; }

  /// Waits for every rank (a no-op for one process).
  void barrier();

  /// Shuts MPI down (at normal exit).
  void finalize();

 private:
  Cluster();
  int m_rank = 0, m_size = 1, m_local_size = 1;
  bool m_mpi = false;
  std::uint64_t m_bytes_received = 0;
  std::uint64_t m_exchange_bytes = 0;
};

/// True when phsim was built with MPI.
bool built_with_mpi();

}  // namespace phsim
