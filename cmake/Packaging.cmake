# Debian package: cpack -G DEB (from the build directory) produces
# shaobing_<version>_<arch>.deb. Layout and maintainer scripts:
# docs/deployment.md.
include(GNUInstallDirs)

install(FILES ${SHAOBING_ROOT}/systemd/shaobingd.service DESTINATION /lib/systemd/system)
install(FILES ${SHAOBING_ROOT}/systemd/shaobing.sysusers.conf
        DESTINATION /usr/lib/sysusers.d RENAME shaobing.conf)
install(FILES ${SHAOBING_ROOT}/systemd/shaobing.tmpfiles.conf
        DESTINATION /usr/lib/tmpfiles.d RENAME shaobing.conf)
install(FILES ${SHAOBING_ROOT}/config/examples/shaobing.yaml
        DESTINATION /etc/shaobing
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${SHAOBING_ROOT}/systemd/examples/v4l-camera.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${SHAOBING_ROOT}/README.md ${SHAOBING_ROOT}/packaging/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${SHAOBING_ROOT}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "shaobing")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGE_CONTACT "shaobing maintainers <maintainers@shaobing.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "smart-community edge gateway (哨兵)")
set(CPACK_PACKAGE_DESCRIPTION
    "Ingests access-control events, sensor readings and camera feeds over MQTT, detects\n incidents (objects thrown from height, e-bike charging, forced doors, inactive\n residents, offline devices) and forwards graded whistles to the grid platform.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # shaobing_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the binaries' libraries
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto-clients")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SHAOBING_ROOT}/packaging/debian/conffiles
    ${SHAOBING_ROOT}/packaging/debian/postinst
    ${SHAOBING_ROOT}/packaging/debian/prerm
    ${SHAOBING_ROOT}/packaging/debian/postrm)
set(CPACK_STRIP_FILES ON)
include(CPack)
