# Writes the version header (cmake -P, run by the phsim_version target at every build and once at
# configure time): PHSIM_GIT_DESCRIBE is `git describe --always --dirty --tags` of SOURCE_DIR
# now, so a build after a commit or an edit records the source it was built from. The header
# is rewritten only when its text changes, so an unchanged version recompiles nothing.
#   -DSOURCE_DIR=... -DIN=<template> -DOUT=<header> -DPROJECT_VERSION=... [-DGIT_EXECUTABLE=...]
set(PHSIM_GIT_DESCRIBE "unknown")
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --tags
                  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE describe
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND describe)
    set(PHSIM_GIT_DESCRIBE "${describe}")
  endif()
endif()
configure_file("${IN}" "${OUT}" @ONLY)
