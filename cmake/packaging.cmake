# Install rules for what twowayd needs besides its binaries (the unit, sysusers, the default
# config) and the CPack settings for a Debian package: cpack -G DEB in the build folder.
# Build the package with -DCMAKE_INSTALL_PREFIX=/usr so the config lands in /etc/twoway and the
# binaries where the unit expects them (/usr/sbin/twowayd, /usr/bin/twowayctl).
include_guard(GLOBAL)

set(TWOWAY_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/twoway" CACHE PATH
    "Where twoway.yaml is installed")

install(FILES ${PROJECT_SOURCE_DIR}/systemd/twowayd.service
        DESTINATION lib/systemd/system COMPONENT daemon)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/twoway.sysusers
        DESTINATION lib/sysusers.d RENAME twoway.conf COMPONENT daemon)
install(FILES ${PROJECT_SOURCE_DIR}/etc/twoway.yaml
        DESTINATION ${TWOWAY_CONFIG_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT daemon)

# dpkg keeps an admin's edits to files listed in conffiles across upgrades.
set(TWOWAY_DEB_CONTROL_DIR ${CMAKE_BINARY_DIR}/deb-control)
file(MAKE_DIRECTORY ${TWOWAY_DEB_CONTROL_DIR})
file(WRITE ${TWOWAY_DEB_CONTROL_DIR}/conffiles "${TWOWAY_CONFIG_DIR}/twoway.yaml\n")
foreach(script postinst prerm postrm)
  file(COPY ${PROJECT_SOURCE_DIR}/systemd/debian/${script} DESTINATION ${TWOWAY_DEB_CONTROL_DIR}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                        WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_PACKAGE_NAME "twoway")
set(CPACK_PACKAGE_VENDOR "twoway")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "SMPP gateway daemon with a two-way SMS conversation engine")
set(CPACK_PACKAGE_CONTACT "twoway maintainers <maintainers@example.org>")
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # debug symbols stay in the build tree
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd (>= 247)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${TWOWAY_DEB_CONTROL_DIR}/conffiles;${TWOWAY_DEB_CONTROL_DIR}/postinst;${TWOWAY_DEB_CONTROL_DIR}/prerm;${TWOWAY_DEB_CONTROL_DIR}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
