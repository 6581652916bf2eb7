# A console plugin whose constructor crashes: the first start dies while loading it
# (the loader wrote a marker first); the next start lists it as disabled, says why,
# and keeps running.
#   cmake -DPROGRAM=<livedeck> -DPLUGIN_DIR=<dir> -DPLUGIN_ID=<id> -DSTATE_DIR=<dir> -P check_console_crash.cmake
file(REMOVE_RECURSE ${STATE_DIR})
file(MAKE_DIRECTORY ${STATE_DIR})
set(_env ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen LIVEDECK_PLUGIN_PATH= LIVEDECK_PLUGIN_STATE_DIR=${STATE_DIR})
execute_process(COMMAND ${_env} ${PROGRAM} --plugin-dir ${PLUGIN_DIR} --list-plugins
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(_rc EQUAL 0)
  message(FATAL_ERROR "the first start survived loading the crashing plugin:\n${_out}\n${_err}")
endif()
file(GLOB _markers ${STATE_DIR}/loading-${PLUGIN_ID}.*)
if(NOT _markers)
  message(FATAL_ERROR "no crash marker loading-${PLUGIN_ID}.* in ${STATE_DIR} after the crash (exit ${_rc})")
endif()
execute_process(COMMAND ${_env} ${PROGRAM} --plugin-dir ${PLUGIN_DIR} --list-plugins
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "\n${PLUGIN_ID}\t[^\t]+\tconsole\tdisabled\tit crashed while loading at an earlier start")
  message(FATAL_ERROR "the next start: exit ${_rc}, expected ${PLUGIN_ID} disabled with the reason\n${_out}\n${_err}")
endif()
if(NOT _err MATCHES "livedeck.plugins: ${PLUGIN_ID}")
  message(FATAL_ERROR "the next start did not log the disabled plugin to livedeck.plugins:\n${_err}")
endif()
message(STATUS "first start crashed (exit ${_rc}); the next lists ${PLUGIN_ID} as disabled")
