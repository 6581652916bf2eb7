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

# The programs' allocator (docs/BENCHMARKS.md, "tcmalloc"): the world allocates and frees
# millions of small blocks a simulated second (callbacks, batches, messages), and
# tcmalloc's per-thread caches took 5-9 % off the gala benchmarks against glibc's malloc
# in paired rounds with the machine in its fast and middle states, nothing in its slow
# state (the tables in docs/BENCHMARKS.md), with the same traces. Linked by path to
# Debian's tcmalloc_minimal (libgoogle-perftools-dev: the library and the header of its
# MallocExtension). Each program also compiles app/common/program_allocator.cpp, which
# has the heap grow on transparent huge pages (docs/BENCHMARKS.md, "The heap on huge
# pages"). Off with -DLIVEDECK_TCMALLOC=OFF: glibc's malloc, and nothing installed.
if(LIVEDECK_TCMALLOC)
  find_library(LIVEDECK_TCMALLOC_LIBRARY NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  find_path(LIVEDECK_TCMALLOC_INCLUDE gperftools/malloc_extension.h)
  if(NOT LIVEDECK_TCMALLOC_LIBRARY OR NOT LIVEDECK_TCMALLOC_INCLUDE)
    message(FATAL_ERROR "tcmalloc not found: install libgoogle-perftools-dev (scripts/setup.sh does) "
                        "or configure with -DLIVEDECK_TCMALLOC=OFF")
  endif()
endif()
add_library(livedeck_program_allocator_policy OBJECT ${PROJECT_SOURCE_DIR}/app/common/program_allocator.cpp)
target_include_directories(livedeck_program_allocator_policy PUBLIC ${PROJECT_SOURCE_DIR})
# sim::Offload::spareCore(): the heap thread, like the world's helper, wants a spare core.
target_link_libraries(livedeck_program_allocator_policy PUBLIC livedeck_sim)
# PUBLIC: a program (tst_app) may ask which allocator it was linked with.
target_compile_definitions(livedeck_program_allocator_policy PUBLIC LIVEDECK_TCMALLOC=$<BOOL:${LIVEDECK_TCMALLOC}>)
if(LIVEDECK_TCMALLOC)
  target_include_directories(livedeck_program_allocator_policy PRIVATE ${LIVEDECK_TCMALLOC_INCLUDE})
endif()
livedeck_warnings(livedeck_program_allocator_policy)
function(livedeck_program_allocator target)
  # An object library's objects are linked whole, so the policy's initializer runs.
  target_link_libraries(${target} PRIVATE livedeck_program_allocator_policy)
  if(LIVEDECK_TCMALLOC)
    # One token: CMake de-duplicates repeated link flags, which would unbalance a
    # separate --push-state/--pop-state pair.
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed,${LIVEDECK_TCMALLOC_LIBRARY},--pop-state")
  endif()
endfunction()
