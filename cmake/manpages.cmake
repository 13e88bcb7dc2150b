# Manual pages for the installed commands, made by help2man from each
# command's --help and --version, so the page can never disagree with the
# program.  docs/man/NAME.h2m adds the sections --help lacks (EXAMPLES), and
# docs/man/common.h2m the shared ones (SEE ALSO, BUGS).
#
# VFM_MANPAGES: AUTO (when help2man is installed and the build can run its own
# programs), ON (required: packaging), OFF.
set(VFM_MANPAGES AUTO CACHE STRING "Build manual pages with help2man: AUTO, ON or OFF")
set_property(CACHE VFM_MANPAGES PROPERTY STRINGS AUTO ON OFF)

set(_vfm_man_enabled OFF)
if(NOT VFM_MANPAGES STREQUAL "OFF")
  find_program(VFM_HELP2MAN help2man)
  if(VFM_HELP2MAN AND NOT CMAKE_CROSSCOMPILING)
    set(_vfm_man_enabled ON)
  elseif(VFM_MANPAGES STREQUAL "ON")
    message(FATAL_ERROR "VFM_MANPAGES=ON needs help2man (apt-get install help2man) and a native build")
  endif()
endif()

# vfm_manpage(NAME SUMMARY PROGRAM [DEPENDS targets...])
# PROGRAM may be a generator expression such as $<TARGET_FILE:vfm-asm>.
function(vfm_manpage name summary program)
  if(NOT _vfm_man_enabled)
    return()
  endif()
  set(out ${PROJECT_BINARY_DIR}/man/${name}.1)
  set(includes --include=${PROJECT_SOURCE_DIR}/docs/man/common.h2m)
  set(deps ${PROJECT_SOURCE_DIR}/docs/man/common.h2m)
  if(EXISTS ${PROJECT_SOURCE_DIR}/docs/man/${name}.h2m)
    list(PREPEND includes --include=${PROJECT_SOURCE_DIR}/docs/man/${name}.h2m)
    list(APPEND deps ${PROJECT_SOURCE_DIR}/docs/man/${name}.h2m)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${VFM_HELP2MAN} --no-info --section=1 --name=${summary}
            --source=vfm --manual="VFM manual" ${includes} --output=${out} ${program}
    DEPENDS ${deps} ${ARGN}
    COMMENT "Manual page ${name}(1)"
    VERBATIM)
  add_custom_target(man-${name} ALL DEPENDS ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
