# Build helpers: one function per target kind (library, test, benchmark, fuzz target).
# Every target gets the same warnings; the `debug` preset adds ASan + UBSan via KF_SANITIZE.

set(KF_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)

function(kf_apply_common target)
  target_compile_options(${target} PRIVATE ${KF_WARNINGS})
  if(KF_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
  if(KF_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# kf_library(NAME <module> SRCS <files...> DEPS <public deps...> [PRIVATE_DEPS <deps...>])
# Creates kalshiflow_<module> (alias kf::<module>), include root is src/.
function(kf_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target kalshiflow_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(kf::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  if(KF_TSAN)
    target_compile_options(${target} PUBLIC -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  endif()
  if(KF_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
                                            -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  target_compile_options(${target} PRIVATE ${KF_WARNINGS})
endfunction()

# kf_test(NAME <name> SRCS <files...> DEPS <deps...> [LABELS <labels...>]): a GoogleTest binary
# registered with CTest (label `e2e` marks tests that scripts/test re-runs on the release build).
# Tests run with the working directory set to the repository root, and KF_SHARED_DIR set to
# ../shared (the real data, specs) so tests can read real files. (One variable only: a second
# one would split the property list that gtest_discover_tests writes.)
function(kf_test)
  if(NOT KF_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  kf_apply_common(${ARG_NAME})
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES ENVIRONMENT "KF_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared"
               LABELS "${labels}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# kf_bench(NAME <name> SRCS <files...> DEPS <deps...>): a Google Benchmark binary in build/bench/.
function(kf_bench)
  if(NOT KF_BUILD_BENCH)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  kf_apply_common(${ARG_NAME})
endfunction()

# kf_fuzz(NAME <name> SRCS <files...> DEPS <deps...>): a libFuzzer binary (clang only).
function(kf_fuzz)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  set_property(GLOBAL APPEND PROPERTY KF_FUZZ_TARGETS ${ARG_NAME})
endfunction()
