// E-bikes in lifts and corridors, and suspected theft from sheds (tags, owners).
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, EbikeSeenInAnElevatorOrCorridorZoneIsAnIncidentElsewhereNot) {
  Event lift = ev(EventKind::kEbikeDetected, "cam-lift");  // the camera's zone: lift-3
  engine_->onEvent(lift);
  Event corridor = ev(EventKind::kEbikeDetected, "cam-shed");
  corridor.zone = "corridor-3";
  engine_->onEvent(corridor);
  Event shed = ev(EventKind::kEbikeDetected, "cam-shed");
  shed.zone = "shed";
  engine_->onEvent(shed);
  EXPECT_EQ(sink_.types(), (std::vector<std::string>{"ebike_in_elevator", "ebike_in_corridor"}));
  EXPECT_EQ(sink_.raised[0].details["zone"], "lift-3");
  EXPECT_EQ(sink_.raised[1].source, "cam-shed");
  EXPECT_EQ(engine_->health()["ebikes_seen_elsewhere"], 1);
}

TEST_F(RulesTest, EbikeLeavingTheShedAtNightWithoutACredentialIsSuspected) {
  engine_->onEvent(leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL)));  // 02:00
  tickFor(119s);
  EXPECT_TRUE(sink_.raised.empty());  // waits for a credential shortly after
  tickFor(2s);
  EXPECT_EQ(sink_.types(), std::vector<std::string>{"ebike_theft_suspected"});
}

TEST_F(RulesTest, EbikeLeavingWithAGrantAtTheGateIsNotSuspected) {
  engine_->onEvent(leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL)));
  clock_.advance(30s);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");
  grant.method = "card";
  grant.person_type = "resident";
  engine_->onEvent(grant);
  tickFor(3min);
  EXPECT_TRUE(sink_.raised.empty());
}

TEST_F(RulesTest, EbikeLeavingByDayIsNotSuspected) {
  engine_->onEvent(leftShed(fromUnixMillis(1795334400000)));  // 08:00
  tickFor(3min);
  EXPECT_TRUE(sink_.raised.empty());
}

TEST_F(RulesTest, ATaggedEbikeRiddenOutWithSomeoneElsesCardIsSuspected) {
  Event left = leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL));  // 02:00
  left.tag = "EB-7";
  engine_->onEvent(left);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");
  grant.person_id = "r-0999";
  grant.credential = "card-12";
  clock_.advance(20s);
  engine_->onEvent(grant);
  tickFor(2min);
  ASSERT_EQ(sink_.count("ebike_theft_suspected"), 1u);
  const auto& d = sink_.first("ebike_theft_suspected")->details;
  EXPECT_EQ(d["reason"], "not_owner");
  EXPECT_EQ(d["tag"], "EB-7");
  EXPECT_EQ(d["owner"], "r-0101");
  EXPECT_EQ(d["grants_near"][0]["person_id"], "r-0999");
  EXPECT_EQ(d["window"]["from"], "2026-11-23T01:58:00.000Z");
  EXPECT_EQ(d["window"]["to"], "2026-11-23T02:02:00.000Z");
}

TEST_F(RulesTest, ATaggedEbikeRiddenOutByItsOwnerIsNotSuspected) {
  Event left = leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL));
  left.tag = "EB-7";
  engine_->onEvent(left);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");
  grant.credential = "card-77";  // the owner's card, no person id in this controller's events
  clock_.advance(30s);
  engine_->onEvent(grant);
  tickFor(3min);
  EXPECT_EQ(sink_.count("ebike_theft_suspected"), 0u);
}

TEST_F(RulesTest, AnOwnerKnownOnlyByCardIsNotMatchedByAGrantThatNamesNobody) {
  Event left = leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL));  // 02:00
  left.tag = "EB-9";  // its owner is known by card-99 alone
  engine_->onEvent(left);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");  // a remote opening: no person, no card
  grant.method = "remote";
  clock_.advance(10s);
  engine_->onEvent(grant);
  tickFor(2min);
  ASSERT_EQ(sink_.count("ebike_theft_suspected"), 1u);
  EXPECT_EQ(sink_.first("ebike_theft_suspected")->details["reason"], "not_owner");
}

}  // namespace
}  // namespace shaobing::rules::test
