// Matching and scoring of replay whistles against ground truth, on hand-made lines.
#include "vision/synth/score.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace shaobing::vision::synth {
namespace {

TruthEvent event(int id, double release, double end, double x, double size, int floor) {
  return {id, release, end, x, size, floor, true};
}

ReplayWhistle whistle(double t, double x, int floor) {
  ReplayWhistle w;
  w.video_time_s = t;
  w.frame = static_cast<int>(t * 25);
  w.facade_x_m = x;
  w.floor = floor;
  w.floor_lo = floor - 1;
  w.floor_hi = floor + 1;
  return w;
}

TEST(ReplayLine, ParsesAThrownObjectWhistle) {
  ReplayWhistle w;
  ASSERT_EQ(parseReplayLine(R"({"type":"thrown_object","level":"urgent","frame":130,"video_time_s":5.2,)"
                            R"("details":{"floor":11,"floor_range":[10,12],"facade_x_m":5.5,)"
                            R"("release_time_s":4.7,"confidence":0.83}})",
                            &w, nullptr),
            LineKind::ThrownObject);
  EXPECT_EQ(w.frame, 130);
  EXPECT_DOUBLE_EQ(w.video_time_s, 5.2);
  EXPECT_EQ(w.level, "urgent");
  EXPECT_EQ(w.floor, 11);
  EXPECT_EQ(w.floor_lo, 10);
  EXPECT_EQ(w.floor_hi, 12);
  EXPECT_DOUBLE_EQ(w.facade_x_m, 5.5);
  EXPECT_DOUBLE_EQ(w.release_time_s, 4.7);
  EXPECT_DOUBLE_EQ(w.confidence, 0.83);
}

TEST(ReplayLine, OtherWhistleTypesAreRecognisedButNotScored) {
  EXPECT_EQ(parseReplayLine(R"({"type":"device_offline","level":"notice","details":{}})", nullptr, nullptr),
            LineKind::OtherWhistle);
}

TEST(ReplayLine, MissingDetailIsMalformed) {
  std::string error;
  EXPECT_EQ(parseReplayLine(R"({"type":"thrown_object","frame":1,"video_time_s":0.04,"details":{"floor":3}})",
                            nullptr, &error),
            LineKind::Malformed);
  EXPECT_FALSE(error.empty());
}

TEST(ReplayLine, NonJsonIsMalformed) {
  EXPECT_EQ(parseReplayLine("replay: 250 frames", nullptr, nullptr), LineKind::Malformed);
}

TEST(WhistleMatching, WhistleDuringTheFallAtTheRightPlaceMatches) {
  const auto m = matchScene({event(1, 5.0, 7.5, 10.0, 0.3, 9)}, {whistle(5.9, 10.8, 9)});
  ASSERT_TRUE(m.whistle_of_event[0]);
  EXPECT_EQ(*m.whistle_of_event[0], 0u);
  EXPECT_TRUE(m.false_whistles.empty());
}

TEST(WhistleMatching, WhistleTooFarAlongTheFacadeIsFalse) {
  const auto m = matchScene({event(1, 5.0, 7.5, 10.0, 0.3, 9)}, {whistle(5.9, 13.5, 9)});
  EXPECT_FALSE(m.whistle_of_event[0]);
  EXPECT_EQ(m.false_whistles, std::vector<size_t>{0});
}

TEST(WhistleMatching, WhistleLaterThanOneSecondAfterLandingIsFalse) {
  const auto m = matchScene({event(1, 5.0, 7.5, 10.0, 0.3, 9)}, {whistle(8.6, 10.0, 9)});
  EXPECT_FALSE(m.whistle_of_event[0]);
  EXPECT_EQ(m.false_whistles.size(), 1u);
}

TEST(WhistleMatching, WhistleBeforeTheReleaseIsFalse) {
  const auto m = matchScene({event(1, 5.0, 7.5, 10.0, 0.3, 9)}, {whistle(4.5, 10.0, 9)});
  EXPECT_FALSE(m.whistle_of_event[0]);
}

TEST(WhistleMatching, SecondWhistleForTheSameFallIsADuplicate) {
  const auto m = matchScene({event(1, 5.0, 7.5, 10.0, 0.3, 9)}, {whistle(6.5, 10.0, 9), whistle(5.8, 10.0, 9)});
  ASSERT_TRUE(m.whistle_of_event[0]);
  EXPECT_EQ(*m.whistle_of_event[0], 1u);  // the earlier decision
  EXPECT_EQ(m.duplicates, std::vector<size_t>{0});
  EXPECT_TRUE(m.false_whistles.empty());
}

TEST(WhistleMatching, EachWhistleMatchesOneEventOnly) {
  const auto m = matchScene({event(1, 5.0, 7.5, 10.0, 0.3, 9), event(2, 10.0, 12.0, 11.0, 0.3, 4)},
                            {whistle(10.5, 11.0, 4), whistle(5.5, 10.0, 9)});
  ASSERT_TRUE(m.whistle_of_event[0] && m.whistle_of_event[1]);
  EXPECT_EQ(*m.whistle_of_event[0], 1u);
  EXPECT_EQ(*m.whistle_of_event[1], 0u);
}

TEST(AccuracyScore, RecallIsCountedPerSizeClass) {
  Scorer s;
  s.addScene({event(1, 5, 7, 10, 0.30, 9), event(2, 10, 12, 10, 0.15, 9), event(3, 15, 17, 10, 0.11, 9),
              event(4, 20, 22, 10, 0.25, 9)},
             {whistle(5.5, 10, 9), whistle(10.5, 10, 9)}, 30);
  const Figures& f = s.figures();
  EXPECT_DOUBLE_EQ(f.recall(SizeClass::Large), 0.5);
  EXPECT_DOUBLE_EQ(f.recall(SizeClass::Medium), 1.0);
  EXPECT_DOUBLE_EQ(f.recall(SizeClass::Small), 0.0);
  EXPECT_DOUBLE_EQ(f.recallAtLeast12cm(), 2.0 / 3.0);
}

TEST(AccuracyScore, FloorAccuracyAndLatencyUseTheMatchedWhistles) {
  Scorer s;
  s.addScene({event(1, 5, 8, 10, 0.3, 9), event(2, 10, 13, 10, 0.3, 9), event(3, 15, 18, 10, 0.3, 9)},
             {whistle(5.5, 10, 9), whistle(10.8, 10, 10), whistle(16.0, 10, 12)}, 30);
  const Figures& f = s.figures();
  EXPECT_DOUBLE_EQ(f.exactFloorRate(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(f.withinOneFloorRate(), 2.0 / 3.0);
  EXPECT_NEAR(f.latencyQuantile(0.5), 0.8, 1e-9);
  EXPECT_NEAR(f.latencyQuantile(0.9), 1.0, 1e-9);
  EXPECT_EQ(f.range_contains_truth, 2);
}

TEST(AccuracyScore, FalseWhistlesAndDuplicatesAreCountedByLevel) {
  Scorer s;
  ReplayWhistle emergency = whistle(3, 10, 5), priority = whistle(40, 20, 7);
  emergency.level = "emergency";
  priority.level = "priority";
  s.addScene({}, {emergency, priority}, 600);
  EXPECT_EQ(s.figures().false_in_distractor_scenes, 2);
  EXPECT_EQ(s.figures().false_emergency_in_distractor_scenes, 1);
  ReplayWhistle first = whistle(5.5, 10, 9), again = whistle(5.9, 10, 9);
  first.level = again.level = "emergency";
  s.addScene({event(1, 5, 8, 10, 0.3, 9)}, {first, again}, 30);
  EXPECT_EQ(s.figures().duplicates, 1);
  EXPECT_EQ(s.figures().duplicate_emergencies, 1);
}

TEST(AccuracyScore, EveryWhistleInDistractorOnlyFootageIsFalse) {
  Scorer s;
  s.addScene({}, {whistle(3, 10, 5), whistle(40, 20, 7)}, 1800);
  EXPECT_EQ(s.figures().false_in_distractor_scenes, 2);
  EXPECT_DOUBLE_EQ(s.figures().falsePerHour(), 4.0);
}

TEST(AccuracyReport, StatesTargetsAndWhetherTheyAreMet) {
  Scorer s;
  s.addScene({event(1, 5, 8, 10, 0.3, 9)}, {whistle(5.5, 10, 9)}, 30);
  s.addScene({}, {}, 1800);
  std::ostringstream out;
  EXPECT_TRUE(printReport(s.figures(), out));
  EXPECT_NE(out.str().find("recall, objects >= 20 cm"), std::string::npos);
  EXPECT_NE(out.str().find("100.0% (1/1)"), std::string::npos);
  EXPECT_NE(out.str().find("false emergency whistles, distractor-only  0 in 30.0 min"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("target <= 1.0 s"), std::string::npos);
}

TEST(AccuracyReport, TooLittleDistractorFootageFailsTheFalseWhistleTarget) {
  Scorer s;
  s.addScene({event(1, 5, 8, 10, 0.3, 9)}, {whistle(5.5, 10, 9)}, 30);
  s.addScene({}, {}, 120);
  std::ostringstream out;
  EXPECT_FALSE(printReport(s.figures(), out));
  EXPECT_NE(out.str().find("NOT MET"), std::string::npos);
}

}  // namespace
}  // namespace shaobing::vision::synth
