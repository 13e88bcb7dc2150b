# vfm_fuzz_target(): one fuzz target, built two ways from the same source.
#
#   NAME-replay  always (any compiler): replay_main.c feeds it every file of
#                fuzz/corpus/NAME and fuzz/regressions/NAME; ctest test
#                fuzz.replay.NAME, label "fuzz".
#   NAME         with -DVFM_FUZZ=ON (clang): the libFuzzer binary that
#                scripts/fuzz.sh runs.
#
# Included by fuzz/CMakeLists.txt and vflisp/fuzz/CMakeLists.txt (which is
# added first), hence the guard.
include_guard(GLOBAL)

# What the targets share (property checks, guarded packets, the engines).
add_library(vfm_fuzz_util STATIC ${CMAKE_CURRENT_LIST_DIR}/fuzz_util.c)
target_include_directories(vfm_fuzz_util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(vfm_fuzz_util PUBLIC vfm_static)

# vfm_fuzz_target(NAME SOURCE file LIBS lib... [INCLUDES dir...] [DEFINES def...])
function(vfm_fuzz_target name)
  cmake_parse_arguments(F "" "SOURCE" "LIBS;INCLUDES;DEFINES" ${ARGN})
  set(dir ${CMAKE_CURRENT_FUNCTION_LIST_DIR}) # fuzz/, wherever the caller is
  set(variants)
  if(BUILD_TESTING)
    add_executable(${name}-replay ${F_SOURCE} ${dir}/replay_main.c)
    list(APPEND variants ${name}-replay)
    set(corpus ${dir}/corpus/${name})
    set(regressions ${dir}/regressions/${name})
    add_test(NAME fuzz.replay.${name} COMMAND ${name}-replay ${corpus} ${regressions})
    set_tests_properties(fuzz.replay.${name} PROPERTIES LABELS fuzz TIMEOUT 120)
  endif()
  if(VFM_FUZZ)
    add_executable(${name} ${F_SOURCE})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    list(APPEND variants ${name})
  endif()
  foreach(t ${variants})
    target_link_libraries(${t} PRIVATE vfm_fuzz_util ${F_LIBS})
    target_include_directories(${t} PRIVATE ${F_INCLUDES})
    target_compile_definitions(${t} PRIVATE ${F_DEFINES})
  endforeach()
endfunction()
