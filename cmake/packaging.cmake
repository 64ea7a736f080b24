# Where twowayd's files go, the install rules for what it needs besides its binaries (the unit,
# the sysusers file, the default config, the bash completion, the Debian doc files), and the
# CPack settings of the two Debian packages:
#   twoway        twowayd, twowayctl, unit, sysusers, /etc/twoway/twoway.yaml, manuals, completion
#   twoway-tools  twoway-smsc-sim, twoway-pdu and their manuals
# Build them with `cmake --workflow --preset deb` (CMakePresets.json): a tree configured for /usr
# with Debian's hardening flags (TWOWAY_DEB_BUILDFLAGS). CPack refuses any other tree, so a
# package never carries /usr/local paths or binaries built without those flags.
include_guard(GLOBAL)

# The configuration lives in /etc/twoway whatever the prefix: twowayd and twowayctl read
# /etc/twoway/twoway.yaml by default, and the shipped config names /etc/twoway/smsc-password.
set(TWOWAY_CONFIG_DIR "/etc/twoway")
set(TWOWAY_CONFIG_FILE "${TWOWAY_CONFIG_DIR}/twoway.yaml")

# systemd's directories: Debian's own for a /usr install (the unit in /lib/systemd/system on
# Debian 12), else under the prefix (systemd and systemd-sysusers also read /usr/local/lib).
set(_twoway_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
set(_twoway_sysusers_dir "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_check_modules(TWOWAY_SYSTEMD_PC QUIET systemd)  # systemd.pc: the directories
  if(TWOWAY_SYSTEMD_PC_FOUND)
    pkg_get_variable(_twoway_unit_dir systemd systemdsystemunitdir)
    pkg_get_variable(_twoway_sysusers_dir systemd sysusersdir)
  else()
    set(_twoway_unit_dir "/lib/systemd/system")
  endif()
endif()
set(TWOWAY_UNIT_DIR "${_twoway_unit_dir}")
set(TWOWAY_SYSUSERS_DIR "${_twoway_sysusers_dir}")

# Debian's hardening flags (dpkg-buildflags with hardening=+all: _FORTIFY_SOURCE=2,
# -fstack-protector-strong, -Wformat -Werror=format-security, -z relro -z now; PIE is g++'s
# default on Debian). The build type keeps its own -O2 -g; no -ffile-prefix-map, so the compiler
# cache is shared between checkouts.
option(TWOWAY_DEB_BUILDFLAGS "Build with the hardening flags of dpkg-buildflags" OFF)
if(TWOWAY_DEB_BUILDFLAGS)
  if(TWOWAY_SANITIZE)
    message(FATAL_ERROR "TWOWAY_DEB_BUILDFLAGS and TWOWAY_SANITIZE do not go together")
  endif()
  find_program(TWOWAY_DPKG_BUILDFLAGS dpkg-buildflags REQUIRED)
  set(_twoway_env ${CMAKE_COMMAND} -E env
      "DEB_BUILD_MAINT_OPTIONS=hardening=+all reproducible=-fixfilepath,-fixdebugpath"
      "DEB_CXXFLAGS_MAINT_STRIP=-g -O2")
  foreach(kind CPPFLAGS CXXFLAGS LDFLAGS)
    execute_process(COMMAND ${_twoway_env} ${TWOWAY_DPKG_BUILDFLAGS} --get ${kind}
                    OUTPUT_VARIABLE _twoway_${kind} OUTPUT_STRIP_TRAILING_WHITESPACE
                    COMMAND_ERROR_IS_FATAL ANY)
    separate_arguments(_twoway_${kind} UNIX_COMMAND "${_twoway_${kind}}")
  endforeach()
  add_compile_options(${_twoway_CPPFLAGS} ${_twoway_CXXFLAGS})
  add_link_options(${_twoway_LDFLAGS})
  message(STATUS "Debian build flags: ${_twoway_CPPFLAGS} ${_twoway_CXXFLAGS} ${_twoway_LDFLAGS}")
endif()

# The unit names /usr/sbin/twowayd and /etc/twoway/twoway.yaml; another prefix gets a copy
# that names where this tree installs them.
set(TWOWAY_UNIT_FILE "${PROJECT_SOURCE_DIR}/systemd/twowayd.service")
if(NOT CMAKE_INSTALL_FULL_SBINDIR STREQUAL "/usr/sbin" OR
   NOT TWOWAY_CONFIG_FILE STREQUAL "/etc/twoway/twoway.yaml")
  file(READ "${TWOWAY_UNIT_FILE}" _twoway_unit)
  string(REPLACE "/usr/sbin/twowayd" "${CMAKE_INSTALL_FULL_SBINDIR}/twowayd" _twoway_unit
                 "${_twoway_unit}")
  string(REPLACE "/etc/twoway/twoway.yaml" "${TWOWAY_CONFIG_FILE}" _twoway_unit "${_twoway_unit}")
  file(CONFIGURE OUTPUT "${CMAKE_BINARY_DIR}/systemd/twowayd.service" CONTENT "${_twoway_unit}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${TWOWAY_UNIT_FILE}")
  set(TWOWAY_UNIT_FILE "${CMAKE_BINARY_DIR}/systemd/twowayd.service")
endif()
install(FILES ${TWOWAY_UNIT_FILE} DESTINATION ${TWOWAY_UNIT_DIR} COMPONENT daemon)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/twoway.sysusers
        DESTINATION ${TWOWAY_SYSUSERS_DIR} RENAME twoway.conf COMPONENT daemon)

# The config: into a package always, 0644 as Debian ships files (dpkg keeps an admin's edits,
# and the postinst makes it root:twoway 0640); by `cmake --install` only where there is none
# yet, so a reinstall never overwrites an edited one, and root:twoway 0640 when that group
# exists. It holds no secret as shipped: the SMSC password is in a file of its own.
install(CODE "
  set(_dest \"\$ENV{DESTDIR}${TWOWAY_CONFIG_DIR}\")
  if(NOT \"\$ENV{DESTDIR}\" STREQUAL \"\" OR NOT EXISTS \"\${_dest}/twoway.yaml\")
    # file(INSTALL) puts DESTDIR in front by itself.
    file(INSTALL \"${PROJECT_SOURCE_DIR}/etc/twoway.yaml\" DESTINATION \"${TWOWAY_CONFIG_DIR}\"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    if(\"\$ENV{DESTDIR}\" STREQUAL \"\")
      execute_process(COMMAND getent group twoway RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
      if(_rc EQUAL 0)
        execute_process(COMMAND chgrp twoway \"\${_dest}/twoway.yaml\")
        execute_process(COMMAND chmod 0640 \"\${_dest}/twoway.yaml\")
      else()
        message(STATUS \"No group twoway yet: after systemd-sysusers, run \"
                       \"chgrp twoway \${_dest}/twoway.yaml && chmod 0640 \${_dest}/twoway.yaml\")
      endif()
    endif()
  else()
    message(STATUS \"Kept: \${_dest}/twoway.yaml (the shipped one is ${PROJECT_SOURCE_DIR}/etc/twoway.yaml)\")
  endif()" COMPONENT daemon)

install(FILES ${PROJECT_SOURCE_DIR}/tools/twowayctl/twowayctl.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME twowayctl
        COMPONENT daemon)

# Debian's doc files: the machine-readable copyright, and the changelog gzipped at build time
# (a native package: changelog.gz is the Debian changelog).
set(TWOWAY_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${TWOWAY_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/packaging/deb/changelog > ${TWOWAY_CHANGELOG_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/deb/changelog
  COMMENT "Compressing the Debian changelog" VERBATIM)
add_custom_target(deb_changelog ALL DEPENDS ${TWOWAY_CHANGELOG_GZ})
foreach(pair "daemon;twoway" "tools;twoway-tools")
  list(GET pair 0 component)
  list(GET pair 1 package)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/copyright ${TWOWAY_CHANGELOG_GZ}
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component})
endforeach()

# The maintainer scripts and conffiles of the twoway package.
set(TWOWAY_DEB_CONTROL_DIR ${CMAKE_BINARY_DIR}/packaging/control)
foreach(script postinst prerm postrm)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/deb/${script} ${TWOWAY_DEB_CONTROL_DIR}/${script}
                 @ONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                 GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
file(CONFIGURE OUTPUT ${TWOWAY_DEB_CONTROL_DIR}/conffiles CONTENT "${TWOWAY_CONFIG_FILE}\n")

set(CPACK_PACKAGE_NAME "twoway")
set(CPACK_PACKAGE_VENDOR "twoway")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "twoway maintainers <maintainers@example.org>")
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# As dh_strip: no debug symbols (they stay in the build tree), no .comment or .note sections.
set(CPACK_STRIP_FILES OFF)
find_program(TWOWAY_STRIP NAMES strip REQUIRED)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/packaging/strip.cmake CONTENT [[
file(GLOB_RECURSE programs LIST_DIRECTORIES false
     "${CPACK_TEMPORARY_DIRECTORY}/*/usr/bin/*" "${CPACK_TEMPORARY_DIRECTORY}/*/usr/sbin/*")
foreach(program IN LISTS programs)
  execute_process(COMMAND "@TWOWAY_STRIP@" --remove-section=.comment --remove-section=.note
                          "${program}" COMMAND_ERROR_IS_FATAL ANY)
endforeach()
]] @ONLY)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_BINARY_DIR}/packaging/strip.cmake)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME "twoway")
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS
    "systemd | systemd-standalone-sysusers | systemd-sysusers")
set(CPACK_DEBIAN_DAEMON_PACKAGE_SUGGESTS "twoway-tools, lmdb-utils, socat")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    "${TWOWAY_DEB_CONTROL_DIR}/conffiles;${TWOWAY_DEB_CONTROL_DIR}/postinst;${TWOWAY_DEB_CONTROL_DIR}/prerm;${TWOWAY_DEB_CONTROL_DIR}/postrm")
set(CPACK_COMPONENT_DAEMON_DESCRIPTION
"SMPP gateway daemon with a two-way SMS conversation engine
twowayd binds to carrier SMSCs over SMPP 3.4 (and the 5.0 additions real
SMSCs send) and turns every inbound message into the right action: opt-out,
opt-in and HELP keywords change consent and get their required answers,
free text lands in a conversation thread per customer with an inbox for
staff, an auto-responder answers where its mode says so, and staff reply
through an admin socket, only to subscribers who texted first. Campaign and
flow messages wait for the recipient's quiet hours and stay within
per-state frequency caps. Every message is kept in LMDB, and a message is
acknowledged to the SMSC only once it is on disk.

This package holds twowayd with its hardened systemd unit, the admin client
twowayctl with bash completion, the default configuration in /etc/twoway
and the manual pages.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME "twoway-tools")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
"SMPP test tools from twoway: SMSC simulator and PDU decoder
twoway-smsc-sim is an SMSC simulator and load generator for testing SMPP
ESMEs: it answers binds and submits, sends delivery receipts and a mix of
mobile-originated messages (keywords, UCS-2, concatenated parts, an MMS
notification), and injects faults on the wire (throttling, drops, garbage,
half-open links).

twoway-pdu decodes SMPP PDUs from hex or a raw capture to JSON, encodes them
back, and shows how a text is encoded and split into segments.")

# Only a tree built for a package may make one (see the top of this file).
set(TWOWAY_TREE_PACKAGEABLE no)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND TWOWAY_CONFIG_DIR STREQUAL "/etc/twoway" AND
   TWOWAY_DEB_BUILDFLAGS AND NOT TWOWAY_SANITIZE)
  set(TWOWAY_TREE_PACKAGEABLE yes)
endif()
set(TWOWAY_CPACK_CHECK ${CMAKE_BINARY_DIR}/packaging/cpack-check.cmake)
file(CONFIGURE OUTPUT ${TWOWAY_CPACK_CHECK} CONTENT [[
cmake_policy(VERSION 3.25)
if(NOT "@TWOWAY_TREE_PACKAGEABLE@" STREQUAL "yes")
  message(FATAL_ERROR "This build tree installs under @CMAKE_INSTALL_PREFIX@ with config in "
    "@TWOWAY_CONFIG_DIR@ (Debian build flags: @TWOWAY_DEB_BUILDFLAGS@, sanitizers: "
    "@TWOWAY_SANITIZE@). A Debian package needs /usr, /etc/twoway and Debian's hardening "
    "flags: build it with\n  cmake --workflow --preset deb\n")
endif()
]] @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${TWOWAY_CPACK_CHECK})
include(CPack)
