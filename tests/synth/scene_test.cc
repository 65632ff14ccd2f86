// Scene drawing, ground truth, calibration and scene-set definitions.
#include "vision/synth/scene.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "vision/synth/scene_set.h"

namespace shaobing::vision::synth {
namespace {

SceneRecipe eventsRecipe(uint64_t seed) {
  SceneRecipe r;
  r.name = "test";
  r.seed = seed;
  r.events = 4;
  r.distractors = {Distractor::Birds, Distractor::Rain, Distractor::Noise};
  return r;
}

TEST(SyntheticScene, SameSeedGivesIdenticalGroundTruth) {
  EXPECT_EQ(groundTruth(makeScene(eventsRecipe(7)), "cam").dump(), groundTruth(makeScene(eventsRecipe(7)), "cam").dump());
}

TEST(SyntheticScene, DifferentSeedGivesDifferentScene) {
  EXPECT_NE(groundTruth(makeScene(eventsRecipe(7)), "cam")["events"].dump(),
            groundTruth(makeScene(eventsRecipe(8)), "cam")["events"].dump());
}

TEST(SyntheticScene, GroundTruthFallTimesFollowFreeFall) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    nlohmann::json gt = groundTruth(makeScene(eventsRecipe(seed)), "cam");
    for (const auto& e : gt["events"]) {
      if (!e["heavy"].get<bool>() || e["throw_velocity_mps"][2].get<double>() != 0) continue;
      const double h = e["release_height_m"].get<double>();
      EXPECT_NEAR(e["end_time_s"].get<double>() - e["release_time_s"].get<double>(), std::sqrt(2 * h / 9.81), 1e-9);
      ++checked;
    }
  }
  EXPECT_GT(checked, 10);
}

TEST(SyntheticScene, EventsStartFromTheirFloorAndColumn) {
  const Scene s = makeScene(eventsRecipe(3));
  for (const auto& e : s.events) {
    EXPECT_EQ(s.layout.floorAt(e.motion.release.z), e.floor);
    EXPECT_EQ(s.layout.columnAt(e.motion.release.x), e.column);
    EXPECT_GE(e.floor, 2);
    EXPECT_LE(e.floor, 18);
  }
}

TEST(SyntheticScene, EventsDoNotOverlapAndEndBeforeTheVideo) {
  const Scene s = makeScene(eventsRecipe(5));
  ASSERT_EQ(s.events.size(), 4u);
  for (size_t i = 1; i < s.events.size(); ++i) EXPECT_GT(s.events[i].release_time_s, s.events[i - 1].endTime() + 2.9);
  EXPECT_LT(s.events.back().endTime() + 1.9, s.duration());
  EXPECT_GE(s.events.front().release_time_s, 4.0);
}

TEST(SyntheticScene, EmittedCalibrationReproducesTheRenderedProjection) {
  const Scene s = makeScene(eventsRecipe(11));
  const Projector projector(s.pose);
  const cv::Matx33d h = calibrationHomography(s.calibration);
  for (int floor : {2, 9, 18}) {
    for (int column = 1; column <= s.layout.columns; ++column) {
      const double x = s.layout.columnCentre(column), z = s.layout.floorBase(floor) + 1.5;
      const cv::Point2d truth = projector.projectFacade(x, z);
      EXPECT_LT(cv::norm(applyHomography(h, {x, z}) - truth), 0.5) << floor << "/" << column;
    }
  }
}

TEST(SyntheticScene, CameraEntryCarriesTheCalibrationKeys) {
  const Scene s = makeScene(eventsRecipe(2));
  const std::string yaml = cameraConfigYaml(s, "b3-east");
  EXPECT_NE(yaml.find("  - id: b3-east\n    thrown_object:\n      calibration:\n        image_points: [["), std::string::npos);
  EXPECT_NE(yaml.find("        facade_points_m: [[0, 3], ["), std::string::npos);
  EXPECT_NE(yaml.find("        floor_height_m: 3\n        floors: 18\n"), std::string::npos);
  EXPECT_NE(yaml.find("      detect_area: [["), std::string::npos);
}

TEST(SyntheticScene, CameraEntryParsesBackToTheCalibration) {
  const Scene s = makeScene(eventsRecipe(4));
  const YAML::Node camera = YAML::Load(cameraConfigYaml(s, "cam"))["cameras"][0];
  EXPECT_EQ(camera["id"].as<std::string>(), "cam");
  const YAML::Node cal = camera["thrown_object"]["calibration"];
  ASSERT_EQ(cal["image_points"].size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(cal["image_points"][i][0].as<double>(), s.calibration.image_points[i].x);
    EXPECT_DOUBLE_EQ(cal["image_points"][i][1].as<double>(), s.calibration.image_points[i].y);
    EXPECT_DOUBLE_EQ(cal["facade_points_m"][i][0].as<double>(), s.calibration.facade_points_m[i].x);
    EXPECT_DOUBLE_EQ(cal["facade_points_m"][i][1].as<double>(), s.calibration.facade_points_m[i].y);
  }
  EXPECT_EQ(cal["floors"].as<int>(), 18);
  EXPECT_DOUBLE_EQ(cal["floor_height_m"].as<double>(), 3.0);
  EXPECT_EQ(camera["thrown_object"]["detect_area"].size(), 4u);
}

TEST(SceneSets, DistractorsOnlySetHasNoEventsAndAtLeastTenMinutes) {
  auto recipes = sceneSet({"distractors-only", 1, 0});
  ASSERT_TRUE(recipes);
  double seconds = 0;
  for (const auto& r : *recipes) {
    const Scene s = makeScene(r);
    EXPECT_TRUE(s.events.empty());
    seconds += s.duration();
  }
  EXPECT_GE(seconds, 600);
}

TEST(SceneSets, EveryDistractorAppearsInTheDistractorsOnlySets) {
  std::set<Distractor> seen;
  for (const char* set : {"distractors-only", "hard-distractors"}) {
    const auto recipes = sceneSet({set, 1, 0});
    ASSERT_TRUE(recipes);
    for (const auto& r : *recipes) seen.insert(r.distractors.begin(), r.distractors.end());
  }
  for (Distractor d : allDistractors()) EXPECT_EQ(seen.count(d), 1u) << distractorName(d);
}

TEST(SceneSets, HardSetsShakeStronglyAndTheHeldOutVariantWider) {
  double tuning_max = 0, held_out_max = 0;
  for (bool wide : {false, true}) {
    const auto recipes = sceneSet({"hard-distractors", wide ? 777u : 1u, 5, wide});
    ASSERT_TRUE(recipes);
    ASSERT_EQ(recipes->size(), 5u);
    for (const auto& r : *recipes) {
      EXPECT_TRUE(r.distractors.count(Distractor::StrongShake));
      EXPECT_EQ(r.wide, wide);
      const Scene s = makeScene(r);
      ASSERT_FALSE(s.shake.empty());
      double covered = 0;
      for (const auto& k : s.shake) {
        EXPECT_TRUE(k.strong);
        EXPECT_LE(k.amplitude_px, wide ? 7.0 : 6.0);
        EXPECT_LE(2 * CV_PI * k.hz * k.amplitude_px, (wide ? 240.0 : 180.0) + 1e-9);  // peak speed bounded
        covered += k.end_s - k.start_s;
        (wide ? held_out_max : tuning_max) = std::max(wide ? held_out_max : tuning_max, k.readout_s);
      }
      EXPECT_GT(covered, 0.4 * s.duration());  // shaking most of the time
    }
  }
  EXPECT_LE(tuning_max, 0.025);
  EXPECT_LE(held_out_max, 0.033);
}

TEST(SceneSets, EventsSetCoversFloorsSizesWeightsAndLighting) {
  auto recipes = sceneSet({"events", 1, 0});
  ASSERT_TRUE(recipes);
  std::set<int> floors;
  int heavy = 0, light = 0, night = 0, with_distractors = 0, small = 0, medium = 0, large = 0;
  for (const auto& r : *recipes) {
    night += r.night;
    with_distractors += r.distractors.size() > 1;
    for (const auto& e : makeScene(r).events) {
      floors.insert(e.floor);
      (e.motion.heavy ? heavy : light)++;
      EXPECT_GE(e.size_m, 0.10);
      EXPECT_LE(e.size_m, 0.50);
      (e.size_m < 0.12 ? small : e.size_m < 0.20 ? medium : large)++;
    }
  }
  EXPECT_EQ(floors.size(), 17u);  // floors 2..18
  EXPECT_GT(heavy, 0);
  EXPECT_GT(light, 0);
  EXPECT_GT(night, 0);
  EXPECT_GT(with_distractors, 0);
  EXPECT_GT(small, 0);
  EXPECT_GT(medium, 0);
  EXPECT_GT(large, 0);
}

TEST(SceneSets, UnknownSetIsRejected) { EXPECT_FALSE(sceneSet({"nope", 1, 0})); }

}  // namespace
}  // namespace shaobing::vision::synth
