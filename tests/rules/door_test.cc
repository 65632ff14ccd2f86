// The door rule: forced, held open, tamper, tailgating, restricted hours.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, DoorForcedRaisesOnceAndFoldsRepeatsWithinTheCooldown) {
  engine_->onEvent(ev(EventKind::kDoorForced, "door-1"));
  clock_.advance(30s);
  engine_->onEvent(ev(EventKind::kDoorForced, "door-1"));
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"door_forced"});
  EXPECT_EQ(sink_.raised[0].source, "door-1");
  EXPECT_EQ(sink_.raised[0].incident_key, "door_forced:door-1");
  clock_.advance(11min);
  engine_->onEvent(ev(EventKind::kDoorForced, "door-1"));
  EXPECT_EQ(sink_.raised.size(), 2u);
}

TEST_F(RulesTest, DoorHeldOpenFiresOnlyAfterTheThreshold) {
  engine_->onEvent(ev(EventKind::kDoorOpened, "door-2"));
  tickFor(119s);
  EXPECT_TRUE(sink_.raised.empty());
  tickFor(2s);
  EXPECT_EQ(sink_.types(), std::vector<std::string>{"door_held_open"});
}

TEST_F(RulesTest, ADoorClosedInTimeRaisesNothing) {
  engine_->onEvent(ev(EventKind::kDoorOpened, "door-2"));
  tickFor(60s);
  engine_->onEvent(ev(EventKind::kDoorClosed, "door-2"));
  tickFor(200s);
  EXPECT_TRUE(sink_.raised.empty());
}

TEST_F(RulesTest, TamperRaisesAPriorityWhistle) {
  engine_->onEvent(ev(EventKind::kTamper, "door-1"));
  ASSERT_EQ(sink_.raised.size(), 1u);
  EXPECT_EQ(sink_.raised[0].type, "device_tamper");
  EXPECT_EQ(sink_.raised[0].level, whistle::Level::kPriority);
}

TEST_F(RulesTest, TailgatingWhenMorePeoplePassThanWereGranted) {
  Event grant = ev(EventKind::kAccessGranted, "door-1");
  grant.method = "card";
  grant.person_type = "resident";
  engine_->onEvent(grant);
  Event passage = ev(EventKind::kPassage, "door-1");
  passage.count = 1;
  engine_->onEvent(passage);
  EXPECT_TRUE(sink_.raised.empty());
  engine_->onEvent(grant);
  passage.count = 3;
  engine_->onEvent(passage);
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"tailgating"});
  EXPECT_EQ(sink_.raised[0].details["people"], 3);
  EXPECT_EQ(sink_.raised[0].details["granted"], 1);
}

TEST_F(RulesTest, RestrictedDoorOutsideAllowedHours) {
  Event open = ev(EventKind::kDoorOpened, "roof");
  open.at = fromUnixMillis(1795334400000);  // 08:00 UTC: allowed
  engine_->onEvent(open);
  EXPECT_TRUE(sink_.raised.empty());
  open.at = fromUnixMillis(1795334400000 + 14 * 3600 * 1000LL);  // 22:00: not allowed
  engine_->onEvent(open);
  EXPECT_EQ(sink_.types(), std::vector<std::string>{"restricted_after_hours"});
}

}  // namespace
}  // namespace shaobing::rules::test
