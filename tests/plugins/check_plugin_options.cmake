# A program's plugin options: --help lists --plugin-dir DIR (repeatable), --no-plugins
# and --list-plugins; --list-plugins prints the columns id, version, kind, state, error,
# file and the plugin of --plugin-dir; --no-plugins lists it as skipped (safe mode).
#   cmake -DPROGRAM=<livedeck|livedeckd|livedeckctl> -DPLUGIN_DIR=<dir> -DPLUGIN_ID=<id> -P check_plugin_options.cmake
set(_env ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen LIVEDECK_PLUGIN_PATH= LIVEDECK_PLUGIN_STATE_DIR=${STATE_DIR})
execute_process(COMMAND ${_env} ${PROGRAM} --help RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --help: exit ${_rc}\n${_out}\n${_err}")
endif()
foreach(_re "--plugin-dir <?DIR>?" "[Rr]epeatable" "--no-plugins" "--list-plugins" "id, version, kind, state,[ \t\n]+error, file")
  if(NOT _out MATCHES "${_re}")
    message(FATAL_ERROR "${PROGRAM} --help does not mention '${_re}':\n${_out}")
  endif()
endforeach()

execute_process(COMMAND ${_env} ${PROGRAM} --plugin-dir ${PLUGIN_DIR} --list-plugins
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "^id\tversion\tkind\tstate\terror\tfile\n")
  message(FATAL_ERROR "${PROGRAM} --list-plugins: exit ${_rc}, expected the column header\n${_out}\n${_err}")
endif()
if(NOT _out MATCHES "\n${PLUGIN_ID}\t[^\t]+\tengine\tloaded\t-\t[^\n]*${PLUGIN_DIR}")
  message(FATAL_ERROR "${PROGRAM} --list-plugins does not list ${PLUGIN_ID} from ${PLUGIN_DIR} as loaded:\n${_out}\n${_err}")
endif()
string(REGEX MATCHALL "\n${PLUGIN_ID}\t" _rows "${_out}")
list(LENGTH _rows _n)
if(NOT _n EQUAL 1)
  message(FATAL_ERROR "${PROGRAM} --list-plugins lists ${PLUGIN_ID} ${_n} times (one directory named twice?):\n${_out}")
endif()

execute_process(COMMAND ${_env} ${PROGRAM} --no-plugins --plugin-dir ${PLUGIN_DIR} --list-plugins
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "\n${PLUGIN_ID}\t[^\t]+\tengine\tskipped\tsafe mode")
  message(FATAL_ERROR "${PROGRAM} --no-plugins --list-plugins: exit ${_rc}, expected ${PLUGIN_ID} skipped\n${_out}\n${_err}")
endif()
message(STATUS "${PROGRAM}: plugin options in --help, --list-plugins and --no-plugins work")
