// phsim: Medi-Cal managed-care microsimulator. See README.md and `phsim --help`.
#include "tools/cli.hpp"

int main(int argc, char** argv) { return phsim::cli_main(argc, argv); }
