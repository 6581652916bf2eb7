# The guard itself: a copy of the SDK with one header changed (and no version bump) must
# fail check_sdk_api.cmake.   cmake -DSDK_DIR=... -DWORK_DIR=... -P check_sdk_api_guard.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(COPY ${SDK_DIR}/ DESTINATION ${WORK_DIR})
file(APPEND ${WORK_DIR}/livedeck_sdk/world.h "// a change\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DSDK_DIR=${WORK_DIR} -P ${CMAKE_CURRENT_LIST_DIR}/check_sdk_api.cmake
                RESULT_VARIABLE _rc ERROR_VARIABLE _err OUTPUT_QUIET)
if(_rc EQUAL 0 OR NOT _err MATCHES "changed without an API-version bump")
  message(FATAL_ERROR "the API guard accepted a changed header (exit ${_rc}): ${_err}")
endif()
message(STATUS "the API guard refused a changed header")
