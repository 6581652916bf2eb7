# Install layout shared by every install() rule (packaging/README.md): GNU directories
# under /usr, directories 0755 whatever the umask (Debian policy), one CPack component
# per program: livedeck (console), livedeckd (node), livedeckctl (CLI).
include(GNUInstallDirs)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# The desktop/AppStream id of the console (packaging/desktop/, app/livedeck/main.cpp).
set(LIVEDECK_APP_ID "org.livedeck.Livedeck")

# The installed programs resolve every symbol at start and keep their relocations
# read-only afterwards (Debian's hardening: relro + bindnow, lintian checks it).
function(livedeck_harden_program target)
  target_link_options(${target} PRIVATE LINKER:-z,relro LINKER:-z,now)
endfunction()
