# Runs one libFuzzer target for a bounded time (ctest <target>_run, label fuzz).
#   cmake -DFUZZER=path -DWORK_DIR=dir -DSEEDS="glob|glob" -DREGRESSIONS=dir [-DDICT=file]
#         -DSECONDS=n -P run_fuzzer.cmake
# The seeds are copied into WORK_DIR/corpus (the fuzzer adds what it finds there, never to the
# source tree); the regression inputs are a second, read-only corpus. Fails when the fuzzer does:
# a crash, a sanitizer report, an uncaught exception, a timeout or too much memory. The input is
# then in WORK_DIR/artifacts/; once fixed, keep it in REGRESSIONS.
foreach(var FUZZER WORK_DIR SEEDS REGRESSIONS SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()

set(corpus "${WORK_DIR}/corpus")
set(artifacts "${WORK_DIR}/artifacts")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${corpus}" "${artifacts}")

string(REPLACE "|" ";" seed_globs "${SEEDS}")
set(seeds)
foreach(glob IN LISTS seed_globs)
  file(GLOB matched "${glob}")
  list(APPEND seeds ${matched})
endforeach()
list(LENGTH seeds n_seeds)
if(n_seeds EQUAL 0)
  message(FATAL_ERROR "run_fuzzer.cmake: no seed files match ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION "${corpus}")

set(options -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
            -artifact_prefix=${artifacts}/)
if(DICT AND EXISTS "${DICT}")
  list(APPEND options -dict=${DICT})
endif()
message(STATUS "fuzzing ${FUZZER} for ${SECONDS} s from ${n_seeds} seeds and ${REGRESSIONS}")
execute_process(COMMAND "${FUZZER}" ${options} "${corpus}" "${REGRESSIONS}"
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found "${artifacts}/*")
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); inputs: ${found}\n"
                      "Reproduce with: ${FUZZER} <input>; once fixed, copy the input into "
                      "${REGRESSIONS}/")
endif()
