# Warnings for every livedeck target: -Wall -Wextra -Wpedantic, clean.
function(livedeck_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
endfunction()

# Qt hygiene defines (docs/UI.md): no implicit ASCII casts, QStringBuilder, no foreach.
function(livedeck_qt_defines target)
  target_compile_definitions(${target} PRIVATE
    QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_USE_QSTRINGBUILDER QT_NO_FOREACH)
endfunction()

# One STATIC library per backend folder: livedeck_<module>.
function(livedeck_backend_library module)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(livedeck_${module} STATIC ${ARG_SOURCES})
  # The world's code is the hot path of every run and benchmark (docs/BENCHMARKS.md,
  # "Compiler flags"): -O3 in optimised builds, and no semantic interposition — the
  # libraries are static and only ever linked into executables, but are built -fPIC
  # (CMAKE_POSITION_INDEPENDENT_CODE), under which GCC would otherwise not inline a
  # function into its own translation unit's callers.
  target_compile_options(livedeck_${module} PRIVATE -fno-semantic-interposition
                         $<$<CONFIG:RelWithDebInfo,Release>:-O3>)
  target_include_directories(livedeck_${module} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(livedeck_${module} PUBLIC ${ARG_DEPS})
  livedeck_warnings(livedeck_${module})
endfunction()
