// `shaobing check-config` as a technician runs it.
#include <gtest/gtest.h>

#include "tests/support/paths.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace shaobing::testing {
namespace {

RunResult checkConfig(const std::string& path) {
  return runCommand({kShaobingPath, "check-config", path}, std::chrono::seconds(20));
}

TEST(CheckConfigCli, AcceptsTheBundledExample) {
  RunResult r = checkConfig(std::string(kSourceDir) + "/config/examples/shaobing.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": OK"), std::string::npos);
}

TEST(CheckConfigCli, RejectsABrokenFileWithOneLinePerProblem) {
  TempDir dir;
  std::string path = dir.write("bad.yaml",
                               "site:\n  id: x\nlocal_broker:\n  port: 70000\n  hots: a\n");
  RunResult r = checkConfig(path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(path + ":4:9: local_broker.port: value 70000 out of range [1, 65535]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(path + ":5:3: local_broker.hots: unknown key"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("2 problem(s)"), std::string::npos) << r.err;
}

TEST(CheckConfigCli, MissingArgumentIsAUsageError) {
  RunResult r = runCommand({kShaobingPath, "check-config"}, std::chrono::seconds(20));
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace shaobing::testing
