// shaobing-scenegen and shaobing-bench-thrown-accuracy run as programs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>

#include <filesystem>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;

TEST(ScenegenCli, WritesAnMjpgVideoWithItsGroundTruthAndCameraEntry) {
  TempDir dir;
  const RunResult r = runCommand({SHAOBING_TEST_SCENEGEN, "--out", dir.file("scenes"), "--scene-set", "quick",
                                  "--only", "quick-events-000", "--seed", "3"},
                                 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json gt = nlohmann::json::parse(readFile(dir.file("scenes/quick-events-000.json")));
  EXPECT_EQ(gt["events"].size(), 2u);
  EXPECT_NE(readFile(dir.file("scenes/quick-events-000.yaml")).find("thrown_object:"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.file("scenes/index.json")));
  cv::VideoCapture video(dir.file("scenes/quick-events-000.avi"));
  ASSERT_TRUE(video.isOpened());
  EXPECT_EQ(static_cast<int>(video.get(cv::CAP_PROP_FRAME_WIDTH)), 1280);
  EXPECT_EQ(static_cast<int>(video.get(cv::CAP_PROP_FRAME_HEIGHT)), 720);
  EXPECT_DOUBLE_EQ(video.get(cv::CAP_PROP_FPS), 25);
  EXPECT_EQ(static_cast<int>(video.get(cv::CAP_PROP_FRAME_COUNT)), gt["frames"].get<int>());
  EXPECT_EQ(static_cast<int>(video.get(cv::CAP_PROP_FOURCC)), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'));
}

TEST(ScenegenCli, ListsTheSetWithoutWriting) {
  TempDir dir;
  const RunResult r = runCommand({SHAOBING_TEST_SCENEGEN, "--out", dir.file("none"), "--scene-set",
                                  "distractors-only", "--list"},
                                 60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("distractors-011"), std::string::npos);
  EXPECT_NE(r.err.find("12 scenes, 0 events, 12 min of footage"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("none")));
}

TEST(ScenegenCli, RejectsAnUnknownSceneSet) {
  TempDir dir;
  const RunResult r = runCommand({SHAOBING_TEST_SCENEGEN, "--out", dir.file("x"), "--scene-set", "bogus"}, 60s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown scene set 'bogus'"), std::string::npos);
}

#ifdef SHAOBING_TEST_BENCH_THROWN
TEST(ThrownAccuracyBench, QuickRunScoresAPerfectReplayAsPerfect) {
  const RunResult r = runCommand({SHAOBING_TEST_BENCH_THROWN, "--quick", "--shaobing", SHAOBING_TEST_ORACLE_REPLAY}, 240s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("exact floor                                100.0% (4/4)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("false emergency whistles, distractor-only  0 in 0.3 min"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("decision latency after release, median     0.8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("duplicate whistles for one fall            0 (0 emergency)\n"), std::string::npos) << r.out;
}
#endif

}  // namespace
}  // namespace shaobing::testing
