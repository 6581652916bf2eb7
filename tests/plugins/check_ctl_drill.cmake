# livedeckctl with an engine plugin: the plugin's drill passes with the same trace hash
# twice; with --no-plugins it fails at the engine's line and column with exit 2.
#   cmake -DCTL=<livedeckctl> -DPLUGIN_DIR=<dir> -DDRILL=<drill.yaml>
#         [-DWITHOUT="<drill.yaml>:16:3: unknown engine 'danmaku'"] -P check_ctl_drill.cmake
if(NOT WITHOUT)
  set(WITHOUT "danmaku-gala.yaml:16:3: unknown engine 'danmaku'")
endif()
set(_hashes "")
foreach(i 1 2)
  execute_process(COMMAND ${CTL} --plugin-dir ${PLUGIN_DIR} drill run ${DRILL} --quiet
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "run ${i}: exit ${_rc}\n${_out}\n${_err}")
  endif()
  string(REGEX MATCH "trace hash +(0x[0-9a-f]+)" _ "${_out}")
  if(NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "run ${i}: no trace hash in\n${_out}")
  endif()
  list(APPEND _hashes ${CMAKE_MATCH_1})
endforeach()
list(GET _hashes 0 _a)
list(GET _hashes 1 _b)
if(NOT _a STREQUAL _b)
  message(FATAL_ERROR "two runs of the same drill and seed gave trace hashes ${_a} and ${_b}")
endif()
message(STATUS "trace hash ${_a} twice")
execute_process(COMMAND ${CTL} --no-plugins drill run ${DRILL} --quiet
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
string(FIND "${_err}" "${WITHOUT}" _at)
if(NOT _rc EQUAL 2 OR _at EQUAL -1)
  message(FATAL_ERROR "without the plugin: exit ${_rc}, expected 2 and file:line:col\n${_out}\n${_err}")
endif()
message(STATUS "without the plugin: ${_err}")
