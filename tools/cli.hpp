#pragma once
/// @file The phsim command line: run, check, data, info.
namespace phsim {

/// Parses argv and runs a command. Errors print one line `phsim: error: ...` to stderr and
/// return 1; command-line usage errors return 2.
int cli_main(int argc, char** argv);

}  // namespace phsim
