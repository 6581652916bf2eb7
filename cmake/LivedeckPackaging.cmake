# CPack: one Debian package per component (packaging/README.md).
#   cpack --config build/<preset>/CPackConfig.cmake -G DEB -B <dir>
# Dependencies come from dpkg-shlibdeps, plus what the libraries only recommend
# (the console needs qt6-qpa-plugins to open a window); binaries are stripped.
set(CPACK_PACKAGE_NAME "livedeck")
set(CPACK_PACKAGE_VENDOR "livedeck maintainers")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "livedeck maintainers <maintainers@users.noreply.r-seed-d7b2b879.example>")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_GENERATOR "DEB")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL ${_components} ${_plugins_component})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)

set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")

set(CPACK_DEBIAN_LIVEDECK_PACKAGE_NAME "livedeck")
set(CPACK_DEBIAN_LIVEDECK_PACKAGE_DEPENDS "qt6-qpa-plugins")
set(CPACK_DEBIAN_LIVEDECK_PACKAGE_SUGGESTS "livedeckd, livedeckctl")
set(CPACK_COMPONENT_LIVEDECK_DESCRIPTION
"control console for an emulated live-streaming backend
livedeck runs working emulators of a live-streaming platform's production
systems (live gifts, private messaging, the edge CDN) on a deterministic
multi-region world and shows dashboards of circuit-breaker state, shard load
and region health while drills inject faults. It can also replay recorded
runs and attach to a livedeckd node over gRPC.")

set(CPACK_DEBIAN_LIVEDECKD_PACKAGE_NAME "livedeckd")
set(CPACK_DEBIAN_LIVEDECKD_PACKAGE_DEPENDS "init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_LIVEDECKD_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/livedeckd/postinst"
    "${PROJECT_SOURCE_DIR}/packaging/debian/livedeckd/prerm"
    "${PROJECT_SOURCE_DIR}/packaging/debian/livedeckd/postrm")
set(CPACK_COMPONENT_LIVEDECKD_DESCRIPTION
"headless livedeck node serving the livedeck.v1 gRPC API
livedeckd hosts one deterministic world of the livedeck emulators, runs a
drill in it and serves the livedeck.v1 API to consoles and livedeckctl, with
a plaintext health-only address for probes and Prometheus metrics. It comes
with a hardened systemd unit (not enabled on installation).")

set(CPACK_DEBIAN_LIVEDECKCTL_PACKAGE_NAME "livedeckctl")
set(CPACK_COMPONENT_LIVEDECKCTL_DESCRIPTION
"command-line tool for livedeck drills and nodes
livedeckctl runs livedeck's failure drills headless (list, validate, run,
sweep, verify) with reports, and talks to a livedeckd node: status, topology,
faults, remote drill runs.")

set(CPACK_DEBIAN_LIVEDECK-PLUGINS_PACKAGE_NAME "livedeck-plugins")
set(CPACK_DEBIAN_LIVEDECK-PLUGINS_PACKAGE_ENHANCES "livedeck, livedeckd, livedeckctl")
set(CPACK_COMPONENT_LIVEDECK-PLUGINS_DESCRIPTION
"example plugins for livedeck
Example plugins of livedeck's plugin interfaces: engine
plugins that livedeckd, livedeckctl and the console load (with their drills),
and console plugins that add dashboards to the console.")

include(CPack)
