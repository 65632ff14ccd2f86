// Welfare of residents living alone: access, water and door signals, all/any,
// quiet hours, restarts and wall-clock jumps.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, ResidentInactiveAfterThirtySixHoursThenClearsWhenSeen) {
  clock_.advance(35h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 0u);
  clock_.advance(2h);
  engine_->tick();
  ASSERT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);
  EXPECT_EQ(sink_.firstKey("resident_inactive:r-0101")->grid, "g-03");
  EXPECT_EQ(sink_.firstKey("resident_inactive:r-0101")->details["resident_id"], "r-0101");
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);  // once, not every tick

  Event seen = ev(EventKind::kAccessGranted, "door-1");
  seen.person_type = "resident";
  seen.person_id = "r-0101";
  engine_->onEvent(seen);
  EXPECT_NE(std::find(sink_.cleared.begin(), sink_.cleared.end(), "resident_inactive:r-0101"),
            sink_.cleared.end());
}

TEST_F(RulesTest, ResidentInactivitySurvivesARestart) {
  clock_.advance(20h);
  restart();  // the last-seen time comes back from the store
  clock_.advance(17h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);
}

TEST_F(RulesTest, AWallClockJumpForwardDoesNotMakeAResidentInactive) {
  clock_.wall += 72h;  // NTP or RTC correction; no real time passed
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 0u);
}

TEST_F(RulesTest, AWallClockSetBackAcrossARestartCountsNoNegativeTime) {
  clock_.advance(10h);
  clock_.wall -= 48h;
  restart();
  clock_.advance(27h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 0u);  // counted from the restart, not from a "future" sighting
  clock_.advance(10h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);
}

TEST_F(RulesTest, WelfareWhistlesWhenWaterAndDoorStaySilentThenClosesOnTheNextSignOfLife) {
  // r-0201: under 8 L of water in 24 h and no door opened in 24 h, both (when: all).
  const std::string key = "resident_inactive:r-0201";
  engine_->onEvent(water("water-0101", 1000, true));  // the meter's total: the base
  clock_.advance(6h);
  engine_->onEvent(water("water-0101", 1005, true));  // 5 L: too little to count as life
  clock_.advance(17h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);  // not yet watched for a whole window
  clock_.advance(1h);
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  const whistle::Incident& inc = *sink_.firstKey(key);
  EXPECT_EQ(inc.type, "resident_inactive");
  EXPECT_EQ(inc.grid, "g-04");
  EXPECT_EQ(inc.level, whistle::Level::kPriority);
  EXPECT_EQ(inc.details["name"], "李伯");
  EXPECT_EQ(inc.details["when"], "all");
  ASSERT_EQ(inc.details["signals"].size(), 2u);
  EXPECT_EQ(inc.details["signals"][0]["signal"], "water");
  EXPECT_EQ(inc.details["signals"][0]["device"], "water-0101");
  EXPECT_EQ(inc.details["signals"][0]["observed"], 5);
  EXPECT_EQ(inc.details["signals"][1]["signal"], "door");
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 1u);  // once, not every tick
  Event opened = ev(EventKind::kContact, "contact-0101");
  opened.state = true;
  engine_->onEvent(opened);
  EXPECT_NE(std::find(sink_.cleared.begin(), sink_.cleared.end(), key), sink_.cleared.end());
}

TEST_F(RulesTest, WelfareWithAllSignalsNeedsEveryOneSilent) {
  clock_.advance(23h);
  Event opened = ev(EventKind::kContact, "contact-0101");
  opened.state = true;
  engine_->onEvent(opened);  // the door was opened: one signal shows life
  clock_.advance(2h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0201"), 0u);
}

TEST_F(RulesTest, WelfareWithAnySignalWhistlesWhenOneIsSilent) {
  // r-0202: under 10 L in 12 h, or no access in 36 h (when: any), quiet 22:00-07:00.
  const std::string key = "resident_inactive:r-0202";
  engine_->onEvent(water("water-0202", 3, false));  // 3 L used (an interval reading)
  clock_.advance(11h);                               // 19:00
  Event grant = ev(EventKind::kAccessGranted, "door-1");
  grant.person_id = "r-0202";
  engine_->onEvent(grant);
  clock_.advance(2h);                                // 21:00: 12 h with 3 L
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][0]["silent"], true);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][1]["silent"], false);
  engine_->onEvent(water("water-0202", 20, false));
  EXPECT_EQ(sink_.cleared.back(), key);
}

TEST_F(RulesTest, WelfareQuietHoursHoldTheWhistleUntilTheyEnd) {
  const std::string key = "resident_inactive:r-0202";
  clock_.advance(15h);  // 23:00: watched for 15 h, water silent for 12 h
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);
  clock_.advance(7h);  // 06:00: still quiet hours
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);
  clock_.advance(1h);  // 07:00
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 1u);
}

TEST_F(RulesTest, WelfareKeepsWhatItSawAcrossARestart) {
  const std::string key = "resident_inactive:r-0201";
  engine_->onEvent(water("water-0101", 2000, true));
  clock_.advance(1h);
  engine_->onEvent(water("water-0101", 2009, true));  // 9 L: life
  clock_.advance(10h);
  restart();  // the 9 L and the meter's last total come back from the store
  engine_->onEvent(water("water-0101", 2010, true));  // 1 L more, not 2010
  clock_.advance(12h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);  // 22 h since the 9 L: still within 24 h
  clock_.advance(2h + 1min);
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][0]["observed"], 1);
}

TEST_F(RulesTest, AWaterMeterThatStartsAgainFromZeroIsANewMeterNotLife) {
  const std::string key = "resident_inactive:r-0201";
  engine_->onEvent(water("water-0101", 3000, true));
  clock_.advance(1h);
  engine_->onEvent(water("water-0101", 2, true));  // replaced or reset
  clock_.advance(24h);
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][0]["observed"], 0);
}

}  // namespace
}  // namespace shaobing::rules::test
