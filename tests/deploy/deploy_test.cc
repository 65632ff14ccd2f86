// Deployment: the systemd unit's hardening score, and the Debian package —
// its metadata, its contents, and an install into a throwaway root showing
// that the files land where the unit expects them.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/paths.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace shaobing::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kUnit = std::string(kSourceDir) + "/systemd/shaobingd.service";

TEST(SystemdUnit, SecurityExposureIsAtMostOnePointFive) {
  RunResult r = runCommand({"/usr/bin/systemd-analyze", "security", "--offline=true", kUnit}, 60s);
  std::smatch m;
  std::string all = r.out + r.err;
  ASSERT_TRUE(std::regex_search(all, m, std::regex(R"(Overall exposure level for [^:]+: ([0-9.]+))")))
      << all;
  double exposure = std::stod(m[1]);
  std::cout << "systemd-analyze security exposure: " << exposure << "\n";
  EXPECT_LE(exposure, 1.5);
}

// The Exec*= commands of the unit (absolute program paths).
std::vector<std::string> unitPrograms() {
  std::ifstream in(kUnit);
  std::vector<std::string> out;
  std::string line;
  std::regex exec(R"(^Exec[A-Za-z]*=[-@:+!]*(/[^ ]+))");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, exec)) out.push_back(m[1]);
  }
  return out;
}

TEST(SystemdUnit, IsNotifyWithWatchdogReloadAndDedicatedUser) {
  std::ifstream in(kUnit);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string unit = ss.str();
  for (const char* line : {"Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=",
                           "User=shaobing", "StateDirectory=shaobing", "RuntimeDirectory=shaobing",
                           "ConfigurationDirectory=shaobing", "ProtectSystem=strict",
                           "NoNewPrivileges=yes", "SystemCallFilter=@system-service",
                           "MemoryDenyWriteExecute=yes", "UMask=0027", "PrivateDevices=yes"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  }
  EXPECT_GE(unitPrograms().size(), 3u);
}

class DebianPackage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    RunResult r = runCommand({"/usr/bin/cpack", "-G", "DEB", "-B", dir_->path().string(),
                              "--config", std::string(SHAOBING_TEST_BINARY_DIR) + "/CPackConfig.cmake"},
                             300s);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    RunResult arch = runCommand({"/usr/bin/dpkg", "--print-architecture"}, 10s);
    arch_ = arch.out.substr(0, arch.out.find('\n'));
    for (const auto& e : fs::directory_iterator(dir_->path())) {
      if (e.path().extension() == ".deb") deb_ = e.path().string();
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string field(const std::string& name) {
    RunResult r = runCommand({"/usr/bin/dpkg-deb", "-f", deb_, name}, 30s);
    return r.out.substr(0, r.out.find_last_not_of('\n') + 1);
  }

  static TempDir* dir_;
  static std::string deb_;
  static std::string arch_;
};
TempDir* DebianPackage::dir_ = nullptr;
std::string DebianPackage::deb_;
std::string DebianPackage::arch_;

TEST_F(DebianPackage, IsNamedAfterVersionAndArchitecture) {
  ASSERT_FALSE(deb_.empty());
  std::string version = field("Version");
  EXPECT_EQ(fs::path(deb_).filename().string(), "shaobing_" + version + "_" + arch_ + ".deb");
  EXPECT_EQ(field("Package"), "shaobing");
  EXPECT_EQ(field("Architecture"), arch_);
}

TEST_F(DebianPackage, DependsOnTheRuntimeLibrariesItLinks) {
  std::string depends = field("Depends");
  for (const char* lib : {"libpaho-mqttpp3-1", "libpaho-mqtt1.3", "libsqlite3-0", "libsystemd0",
                          "libyaml-cpp0.7", "libssl3", "libstdc++6"}) {
    EXPECT_NE(depends.find(lib), std::string::npos) << lib << " missing from: " << depends;
  }
}

TEST_F(DebianPackage, MarksTheConfigurationAsConffileAndShipsMaintainerScripts) {
  RunResult info = runCommand({"/usr/bin/dpkg-deb", "-I", deb_}, 30s);
  for (const char* s : {"conffiles", "postinst", "prerm", "postrm"}) {
    EXPECT_NE(info.out.find(s), std::string::npos) << s;
  }
  TempDir ctl;
  ASSERT_EQ(runCommand({"/usr/bin/dpkg-deb", "-e", deb_, ctl.file("DEBIAN")}, 30s).exit_code, 0);
  EXPECT_EQ(readFile(ctl.file("DEBIAN/conffiles")), "/etc/shaobing/shaobing.yaml\n");
  for (const char* s : {"postinst", "prerm", "postrm"}) {
    EXPECT_EQ(runCommand({"/bin/sh", "-n", ctl.file(std::string("DEBIAN/") + s)}, 10s).exit_code, 0)
        << s << " has a shell syntax error";
  }
  // An unconfigured gateway must not be started or enabled by installation.
  std::string postinst = readFile(ctl.file("DEBIAN/postinst"));
  EXPECT_EQ(postinst.find("systemctl start"), std::string::npos);
  EXPECT_EQ(postinst.find("systemctl enable"), std::string::npos);
  EXPECT_EQ(postinst.find("deb-systemd-invoke start"), std::string::npos);
}

TEST_F(DebianPackage, ContainsFilesWhereDebianExpectsThem) {
  RunResult r = runCommand({"/usr/bin/dpkg-deb", "-c", deb_}, 30s);
  for (const char* p : {"./usr/bin/shaobingd", "./usr/bin/shaobing",
                        "./lib/systemd/system/shaobingd.service", "./usr/lib/sysusers.d/shaobing.conf",
                        "./usr/lib/tmpfiles.d/shaobing.conf", "./etc/shaobing/shaobing.yaml",
                        "./usr/share/doc/shaobing/examples/shaobing.yaml",
                        "./usr/share/doc/shaobing/examples/v4l-camera.conf"}) {
    EXPECT_NE(r.out.find(std::string(" ") + p + "\n"), std::string::npos) << p << "\n" << r.out;
  }
  // The configuration may hold broker passwords: not world-readable.
  std::regex conf(R"((\S+) \S+\s+\d+ \S+ \S+ \./etc/shaobing/shaobing\.yaml\n)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, conf));
  EXPECT_EQ(m[1], "-rw-r-----");
}

TEST_F(DebianPackage, InstallsIntoAThrowawayRootWhereTheUnitFindsEverything) {
  TempDir root;
  const fs::path R = root.path();
  fs::create_directories(R / "var/lib/dpkg/info");
  fs::create_directories(R / "var/lib/dpkg/updates");
  std::ofstream(R / "var/lib/dpkg/status").close();
  std::ofstream(R / "var/lib/dpkg/available").close();
  // Unpack with dpkg itself into the root. The maintainer scripts are not run
  // here (dpkg would chroot into a root with no shell); what they do is done
  // below with the same tools pointed at the root.
  RunResult unpack = runCommand({"/usr/bin/dpkg", "--root=" + R.string(), "--force-not-root",
                                 "--force-depends", "--log=/dev/null", "--unpack", deb_},
                                120s);
  ASSERT_EQ(unpack.exit_code, 0) << unpack.out << unpack.err;
  RunResult status = runCommand({"/usr/bin/dpkg", "--root=" + R.string(), "-s", "shaobing"}, 30s);
  EXPECT_NE(status.out.find("/etc/shaobing/shaobing.yaml"), std::string::npos) << status.out;

  // Every program the unit runs is installed and executable.
  for (const auto& prog : unitPrograms()) {
    if (prog == "/bin/kill") continue;  // from procps/util-linux, not ours
    fs::path p = R / prog.substr(1);
    EXPECT_TRUE(fs::exists(p)) << prog;
    EXPECT_EQ(access(p.c_str(), X_OK), 0) << prog;
  }
  EXPECT_TRUE(fs::exists(R / "lib/systemd/system/shaobingd.service"));

  // The installed tool accepts the installed default configuration.
  fs::path conf = R / "etc/shaobing/shaobing.yaml.dpkg-new";  // unpacked, not yet configured
  ASSERT_TRUE(fs::exists(conf));
  RunResult check = runCommand({(R / "usr/bin/shaobing").string(), "check-config", conf.string()}, 30s);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  // postinst's steps, against the root: the user and the state directory.
  RunResult users = runCommand({"/usr/bin/systemd-sysusers", "--root=" + R.string(),
                                (R / "usr/lib/sysusers.d/shaobing.conf").string()},
                               30s);
  ASSERT_EQ(users.exit_code, 0) << users.err;
  std::string passwd = readFile((R / "etc/passwd").string());
  EXPECT_NE(passwd.find("shaobing:x:"), std::string::npos) << passwd;
  EXPECT_NE(passwd.find(":/var/lib/shaobing:/usr/sbin/nologin"), std::string::npos) << passwd;
  RunResult tmpfiles = runCommand({"/usr/bin/systemd-tmpfiles", "--root=" + R.string(), "--create",
                                   (R / "usr/lib/tmpfiles.d/shaobing.conf").string()},
                                  30s);
  ASSERT_EQ(tmpfiles.exit_code, 0) << tmpfiles.err;
  struct stat st {};
  ASSERT_EQ(stat((R / "var/lib/shaobing").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  EXPECT_NE(st.st_uid, 0u);  // owned by the service user, not root
  EXPECT_TRUE(fs::is_directory(R / "var/lib/shaobing/evidence"));
}

}  // namespace
}  // namespace shaobing::testing
