// Repeated strangers per door and per building.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, StrangerRepeatedNeedsKAttemptsWithinTheWindow) {
  Event denied = ev(EventKind::kAccessDenied, "door-1");
  denied.person_type = "unknown";
  denied.method = "face";
  engine_->onEvent(denied);
  clock_.advance(11min);  // the first attempt falls out of the window
  engine_->onEvent(denied);
  engine_->onEvent(denied);
  EXPECT_TRUE(sink_.raised.empty());
  engine_->onEvent(denied);
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"stranger_repeated"});
  EXPECT_EQ(sink_.raised[0].details["attempts"], 3);
}

TEST_F(RulesTest, StrangersAreAlsoCountedAcrossDoorsOfOneBuilding) {
  Event d1 = ev(EventKind::kAccessDenied, "door-1");
  d1.person_type = "unknown";
  Event d2 = d1;
  d2.device = "door-2";
  engine_->onEvent(d1);
  engine_->onEvent(d2);
  engine_->onEvent(d1);
  ASSERT_EQ(sink_.raised.size(), 1u);
  EXPECT_EQ(sink_.raised[0].incident_key, "stranger:building:3");
}

TEST_F(RulesTest, ResidentsAndVisitorsDeniedAreNotStrangers) {
  Event denied = ev(EventKind::kAccessDenied, "door-1");
  denied.person_type = "resident";
  for (int i = 0; i < 5; ++i) engine_->onEvent(denied);
  EXPECT_TRUE(sink_.raised.empty());
}

}  // namespace
}  // namespace shaobing::rules::test
