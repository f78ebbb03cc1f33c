#pragma once
/// @file Checkpoint files: the state of an interrupted run, from which `phsim run --resume`
/// continues bit-identically (docs/RELIABILITY.md).
///
/// Format (little-endian, one file): the magic "PHSIMCKP", a format version, a JSON header
/// (run identity, scenarios finished, months done), the finished scenarios' results, the
/// current scenario's results so far, policy state and engine snapshot, and a 64-bit checksum
/// of everything before it. Written to `<path>.partial`, fsync'd and renamed, so a checkpoint
/// is either complete or absent; a damaged file is detected by its checksum.
#include <string>
#include <vector>

#include "sim/runner.hpp"

namespace phsim {

/// Who wrote a checkpoint and for which run.
struct CheckpointHeader {
  /// Identifies the run (scenario hashes, data, settings): resume refuses another run's file.
  std::string identity;
  std::string phsim_version;  ///< of the program that wrote it
  std::uint32_t batch_replicates = 0;  ///< replicates per batch (a resumed run keeps them)
};

/// What a checkpoint holds.
struct RunCheckpoint {
  CheckpointHeader header;
  std::vector<ScenarioResults> finished;  ///< parts (scenario batches) completed, in run order
  ScenarioCheckpoint current;             ///< the part in progress
};

/// Writes a checkpoint to `path` atomically (temporary file, fsync, rename, directory fsync).
/// Throws IoError on any failure; an earlier file at `path` is then left intact.
void write_checkpoint(const std::string& path, const CheckpointHeader& header,
                      const std::vector<ScenarioResults>& finished,
                      const ScenarioCheckpoint& current);

/// Reads a checkpoint. Throws IoError naming the file if it is missing, truncated, damaged
/// (checksum) or of another format version.
RunCheckpoint read_checkpoint(const std::string& path);

}  // namespace phsim
