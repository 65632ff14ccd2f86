// Every rule's keys are checked when the configuration loads.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, WelfareAndTheftKeysAreCheckedInTheConfig) {
  auto r = config::loadConfigString(R"(
site: {id: s1}
devices: [{id: w1, kind: sensor}]
rules:
  welfare:
    residents:
      - id: a
        signals: [{water: nope, within: 24h}, {door: w1, access: any}]
  ebike_theft: {owners: [{tag: T1}]}
  charging_load: {min_w: 300, max_w: 200, night_level: loud}
)");
  ASSERT_FALSE(r.ok());
  const std::string all = ::testing::PrintToString(r.messages());
  EXPECT_NE(all.find("unknown device 'nope'"), std::string::npos) << all;
  EXPECT_NE(all.find("exactly one of water"), std::string::npos) << all;
  EXPECT_NE(all.find("name the owner"), std::string::npos) << all;
  EXPECT_NE(all.find("must be greater than min_w"), std::string::npos) << all;
  EXPECT_NE(all.find("night_level"), std::string::npos) << all;
}

}  // namespace
}  // namespace shaobing::rules::test
