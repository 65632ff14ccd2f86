// Configuration loading: every class of error is reported with its line,
// column and key path; valid files load with their defaults.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.h"
#include "gateway/rules/rule.h"
#include "vision/detectors/registry.h"
#include "tests/support/paths.h"

namespace shaobing::config {
namespace {

const char* kValid = R"(site:
  id: sunny-garden
  name: 阳光花园
  default_grid: g-01
state_dir: /tmp/shaobing-test
local_broker:
  host: 127.0.0.1
  port: 1883
uplink:
  host: grid.example.org
  port: 8883
  tls:
    ca_file: /etc/shaobing/ca.pem
devices:
  - id: door-b3-1
    kind: access
    driver: shaobing-access-v1
    grid: g-03
    location: {building: "3", unit: "1", floor: 1}
  - id: socket-b3-bike
    kind: sensor
    heartbeat: 10m
)";

LoadResult load(const std::string& text) { return loadConfigString(text, "test.yaml"); }

// The only problem reported, or fails the test.
Diagnostic onlyProblem(const LoadResult& r) {
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics.items().size(), 1u) << ::testing::PrintToString(r.messages());
  return r.diagnostics.items().empty() ? Diagnostic{} : r.diagnostics.items()[0];
}

TEST(LoadConfig, ValidFileLoadsWithDefaults) {
  LoadResult r = load(kValid);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const Config& c = *r.config;
  EXPECT_EQ(c.site.id, "sunny-garden");
  EXPECT_EQ(c.local_broker.client_id, "shaobingd-sunny-garden");
  EXPECT_EQ(c.local_broker.uri(), "tcp://127.0.0.1:1883");
  ASSERT_TRUE(c.uplink.has_value());
  EXPECT_EQ(c.uplink->uri(), "ssl://grid.example.org:8883");
  EXPECT_EQ(c.uplink->client_id, "shaobingd-sunny-garden-uplink");
  EXPECT_DOUBLE_EQ(c.health.interval_s, 30.0);
  ASSERT_EQ(c.devices.size(), 2u);
  EXPECT_EQ(c.devices[0].grid, "g-03");
  EXPECT_EQ(c.devices[0].location.floor, 1);
  EXPECT_EQ(c.devices[1].grid, "g-01");  // the site's default grid
  EXPECT_DOUBLE_EQ(c.devices[1].heartbeat_s, 600.0);
}

TEST(LoadConfig, UnknownKeyIsAnErrorAtItsPosition) {
  std::string text = kValid;
  text.replace(text.find("  port: 1883"), 12, "  prot: 1883");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "local_broker.prot");
  EXPECT_EQ(d.line, 8);
  EXPECT_EQ(d.column, 3);
  EXPECT_EQ(d.message, "unknown key");
}

TEST(LoadConfig, WrongTypeIsReported) {
  std::string text = kValid;
  text.replace(text.find("port: 1883"), 10, "port: [1883]");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "local_broker.port");
  EXPECT_EQ(d.line, 8);
  EXPECT_EQ(d.column, 9);
  EXPECT_EQ(d.message, "expected a scalar, found a list");
}

TEST(LoadConfig, NonNumericPortIsReported) {
  std::string text = kValid;
  text.replace(text.find("port: 1883"), 10, "port: http");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "local_broker.port");
  EXPECT_EQ(d.message, "expected an integer, found 'http'");
}

TEST(LoadConfig, PortOutOfRangeIsReported) {
  std::string text = kValid;
  text.replace(text.find("port: 8883"), 10, "port: 88830");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "uplink.port");
  EXPECT_EQ(d.line, 11);
  EXPECT_EQ(d.column, 9);
  EXPECT_EQ(d.message, "value 88830 out of range [1, 65535]");
}

TEST(LoadConfig, MissingRequiredValueIsReported) {
  std::string text = kValid;
  text.replace(text.find("  id: sunny-garden\n"), 19, "");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "site.id");
  EXPECT_EQ(d.message, "required value is missing");
  EXPECT_EQ(d.line, 2);  // the site mapping that lacks it
}

TEST(LoadConfig, MissingSiteSectionIsReported) {
  Diagnostic d = onlyProblem(load("state_dir: /tmp/x\n"));
  EXPECT_EQ(d.key_path, "site");
  EXPECT_EQ(d.message, "required value is missing");
}

TEST(LoadConfig, DuplicateDeviceIdNamesTheFirstDefinition) {
  std::string text = kValid;
  text.replace(text.find("id: socket-b3-bike"), 18, "id: door-b3-1");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "devices[1].id");
  EXPECT_EQ(d.line, 20);
  EXPECT_EQ(d.column, 9);
  EXPECT_EQ(d.message, "duplicate device id 'door-b3-1' (first defined on line 15)");
}

TEST(LoadConfig, InvalidChoiceListsTheChoices) {
  std::string text = kValid;
  text.replace(text.find("kind: sensor"), 12, "kind: toaster");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "devices[1].kind");
  EXPECT_EQ(d.message, "'toaster' is not one of: access, sensor, camera");
}

TEST(LoadConfig, SyntaxErrorHasPosition) {
  Diagnostic d = onlyProblem(load("site:\n  id: [unclosed\n"));
  EXPECT_GT(d.line, 0);
  EXPECT_NE(d.message.find("YAML syntax error"), std::string::npos);
}

TEST(LoadConfig, ReportsEveryProblemNotJustTheFirst) {
  std::string text = kValid;
  text.replace(text.find("port: 1883"), 10, "port: 0");
  text.replace(text.find("kind: sensor"), 12, "kind: toaster");
  text += "extra_section: {}\n";
  LoadResult r = load(text);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics.items().size(), 3u);
}

TEST(LoadConfig, MessagesUseFileLineColumnPathFormat) {
  std::string text = kValid;
  text.replace(text.find("  port: 1883"), 12, "  prot: 1883");
  LoadResult r = load(text);
  ASSERT_EQ(r.messages().size(), 1u);
  EXPECT_EQ(r.messages()[0], "test.yaml:8:3: local_broker.prot: unknown key");
}

TEST(LoadConfig, TlsCertWithoutKeyIsRejected) {
  std::string text = kValid;
  text.replace(text.find("    ca_file: /etc/shaobing/ca.pem\n"), 34,
               "    ca_file: /etc/shaobing/ca.pem\n    cert_file: /etc/shaobing/c.pem\n");
  Diagnostic d = onlyProblem(load(text));
  EXPECT_EQ(d.key_path, "uplink.tls.cert_file");
}

TEST(LoadConfig, MissingFileIsAnError) {
  LoadResult r = loadConfigFile("/nonexistent/shaobing.yaml");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.messages().size(), 1u);
  EXPECT_EQ(r.messages()[0], "/nonexistent/shaobing.yaml:0:0: cannot open configuration file");
}

TEST(LoadConfig, EveryBundledExampleIsValid) {
  namespace fs = std::filesystem;
  vision::registerDetectors();  // as shaobingd and shaobing do: camera entries hold detector subtrees
  rules::registerRules();
  int count = 0;
  for (const auto& e : fs::directory_iterator(fs::path(testing::kSourceDir) / "config/examples")) {
    if (e.path().extension() != ".yaml") continue;
    ++count;
    LoadResult r = loadConfigFile(e.path().string());
    EXPECT_TRUE(r.ok()) << e.path() << "\n" << ::testing::PrintToString(r.messages());
  }
  EXPECT_GE(count, 1);
}

}  // namespace
}  // namespace shaobing::config
