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
  target_include_directories(livedeck_${module} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(livedeck_${module} PUBLIC ${ARG_DEPS})
  livedeck_warnings(livedeck_${module})
endfunction()
