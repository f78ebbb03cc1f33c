#pragma once
/// @file Typed exceptions. The CLI catches them and prints one line (`phsim: error: <what>`),
/// exiting non-zero. Messages name the file, the line or key, and what was expected.
#include <stdexcept>
#include <string>

namespace phsim {

/// Base of all phsim errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A scenario file is invalid: unknown key, wrong type, out-of-range value, unknown name.
class ScenarioError : public Error {
 public:
  using Error::Error;
};

/// Reference data (CSV) is invalid: wrong column, bad number, unknown county, inconsistent totals.
class DataError : public Error {
 public:
  using Error::Error;
};

/// Reading or writing a file failed (missing, corrupt, unwritable, disk full).
class IoError : public Error {
 public:
  using Error::Error;
};

/// A CUDA call failed or no usable device is present.
class CudaError : public Error {
 public:
  using Error::Error;
};

/// A request the program cannot satisfy (bad command-line value, too large a run).
class UsageError : public Error {
 public:
  using Error::Error;
};

/// A run stopped on request (SIGINT/SIGTERM) after writing a checkpoint.
class Interrupted : public Error {
 public:
  Interrupted(const std::string& what, int months) : Error(what), months_done(months) {}
  int months_done;
};

}  // namespace phsim

/// Throws `Type(msg)` unless `cond` holds.
#define PHSIM_EXPECTS(cond, msg, Type) \
  do {                                 \
    if (!(cond)) throw Type(msg);      \
  } while (0)
