// shaobing-bench-thrown-accuracy: renders the synthetic scene sets one scene at a time,
// runs `shaobing replay` on each video and scores its whistles against ground truth
// (recall by size, false whistles per hour, floor accuracy, decision latency).
#include <CLI/CLI.hpp>
#include <opencv2/videoio.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "vision/synth/output.h"
#include "vision/synth/scene_set.h"
#include "vision/synth/score.h"

namespace fs = std::filesystem;
namespace synth = shaobing::vision::synth;

namespace {

struct RunOutcome {
  int exit_code = -1;  // -1: timed out or could not start
  double seconds = 0;
};

// Runs argv with stdout and stderr redirected to files; kills it after `timeout_s`.
RunOutcome runToFiles(const std::vector<std::string>& argv, const std::string& out_path,
                      const std::string& err_path, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  RunOutcome r;
  const pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(127);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done == pid) break;
    if (r.seconds > timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string readText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// A configuration replay accepts: the site, a private state_dir and the camera entry
// with the scene's facade calibration, as an installer would write it.
std::string replayConfig(const synth::Scene& scene, const std::string& camera_id, const std::string& state_dir) {
  return "site:\n  id: synth-bench\nstate_dir: " + state_dir +
         "\nlocal_broker:\n  host: 127.0.0.1\n  port: 1883\nlog:\n  level: warn\n" +
         synth::cameraConfigYaml(scene, camera_id);
}

std::string tail(const std::string& text, size_t n) { return text.size() > n ? text.substr(text.size() - n) : text; }

// Real footage that contains no thrown object (people walking, a swaying tree, …):
// each video is replayed with a calibration that makes its whole frame a facade of
// 6 storeys, and every whistle it raises is a false one.
int runRealFootage(const std::vector<std::string>& videos, const std::string& shaobing, const fs::path& work,
                   const std::string& camera_id) {
  int false_emergency = 0, false_priority = 0, failed = 0;
  double seconds = 0;
  std::cout << "real footage without thrown objects (every whistle is false):\n";
  for (const auto& video : videos) {
    cv::VideoCapture cap(video);
    const double w = cap.get(cv::CAP_PROP_FRAME_WIDTH), h = cap.get(cv::CAP_PROP_FRAME_HEIGHT);
    const double fps = cap.get(cv::CAP_PROP_FPS), frames = cap.get(cv::CAP_PROP_FRAME_COUNT);
    if (!cap.isOpened() || w < 16 || h < 16) {
      std::cerr << video << ": cannot open\n";
      ++failed;
      continue;
    }
    const std::string name = fs::path(video).stem().string();
    const std::string config = (work / (name + ".config.yaml")).string();
    std::ostringstream yaml;
    yaml << "site:\n  id: real-footage\nstate_dir: " << (work / "state").string() << "\nlog:\n  level: warn\n"
         << "cameras:\n  - id: " << camera_id << "\n    calibration:\n"
         << "      image_points: [[0, " << h - 1 << "], [" << w - 1 << ", " << h - 1 << "], [" << w - 1 << ", 0], [0, 0]]\n"
         << "      facade_points_m: [[0, 0], [30, 0], [30, 18], [0, 18]]\n      floors: 6\n"
         << "    thrown_object: {min_floor: 2}\n";
    std::ofstream(config) << yaml.str();
    const std::string out_path = (work / (name + ".replay.out")).string();
    const std::string err_path = (work / (name + ".replay.err")).string();
    const RunOutcome run = runToFiles({shaobing, "replay", "--config", config, "--camera", camera_id, video}, out_path,
                                      err_path, 600);
    if (run.exit_code != 0) {
      std::cerr << video << ": replay failed\n" << tail(readText(err_path), 800) << "\n";
      ++failed;
      continue;
    }
    // Frames the pipeline could not use would make a silent video look clean.
    const std::string err = readText(err_path);
    if (err.find(" 0 bad frame(s)") == std::string::npos) {
      std::cerr << video << ": frames were not analysed\n" << tail(err, 800) << "\n";
      ++failed;
      continue;
    }
    int emergency = 0, priority = 0;
    std::istringstream lines(readText(out_path));
    for (std::string line; std::getline(lines, line);) {
      synth::ReplayWhistle wl;
      std::string error;
      if (synth::parseReplayLine(line, &wl, &error) != synth::LineKind::ThrownObject) continue;
      (wl.level == "emergency" ? emergency : priority)++;
    }
    const double length = fps > 0 ? frames / fps : 0;
    seconds += length;
    false_emergency += emergency;
    false_priority += priority;
    std::printf("  %-28s %4.0fx%-4.0f %6.1f s  false emergency %d, priority %d\n", fs::path(video).filename().c_str(), w,
                h, length, emergency, priority);
  }
  std::printf("  total %.1f min: false emergency %d, false priority %d\n", seconds / 60, false_emergency, false_priority);
  return failed;
}


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Accuracy of thrown-object detection on synthetic facade scenes"};
  std::string shaobing = SHAOBING_BENCH_SHAOBING;
  uint64_t seed = 1;
  bool quick = false;
  bool reuse = false;
  int scale = 0;
  double events_minutes = 0, distractor_minutes = 0, hard_events_minutes = 0, hard_distractor_minutes = 0;
  bool wide = false;
  std::string keep_dir;
  std::string camera_id = "synth-cam";
  double x_tolerance = 3.0;
  bool verbose = false;
  app.add_option("--shaobing", shaobing, "path of the shaobing binary (replay subcommand)");
  app.add_option("--seed", seed, "seed of the scene sets");
  app.add_flag("--quick", quick, "three short scenes only (for tests); the figures are not meaningful");
  app.add_option("--events-minutes", events_minutes, "footage of the events set (default 15; negative: leave it out)");
  app.add_option("--distractor-minutes", distractor_minutes, "footage of the distractors-only set (default 12)");
  app.add_option("--hard-events-minutes", hard_events_minutes,
                 "footage of the hard-events set: drops under strong shake and other hard conditions (default 6)");
  app.add_option("--hard-distractor-minutes", hard_distractor_minutes,
                 "footage of the hard-distractors set: strong shake with exposure, lights, birds, heavy rain, "
                 "insects (default 20)");
  app.add_flag("--wide", wide, "held-out variant: hard conditions from wider parameter ranges (use with an unseen --seed)");
  app.add_option("--keep", keep_dir, "write scenes, configs and replay output here and keep them");
  app.add_option("--scale", scale, "passed to shaobing replay: analysis resolution divisor (0 = its default)");
  app.add_flag("--reuse", reuse, "with --keep: reuse videos already rendered there by an earlier run");
  app.add_option("--camera-id", camera_id, "camera id used in the replay config");
  app.add_option("--x-tolerance", x_tolerance, "metres along the facade a whistle may be off and still match");
  app.add_flag("--verbose", verbose, "print one line per scene");
  std::vector<std::string> real;
  app.add_option("--real", real, "instead of synthetic scenes, replay these real videos that show no thrown object "
                                 "(e.g. opencv-doc's vtest.avi, tree.avi) and count their whistles");
  CLI11_PARSE(app, argc, argv);
  if (!real.empty()) {
    const fs::path work = keep_dir.empty() ? fs::temp_directory_path() / ("shaobing-real-" + std::to_string(getpid()))
                                           : fs::path(keep_dir);
    fs::create_directories(work / "state");
    const int failed = runRealFootage(real, shaobing, work, camera_id);
    if (keep_dir.empty()) fs::remove_all(work);
    return failed > 0 ? 1 : 0;
  }

  std::vector<synth::SceneRecipe> recipes;
  if (quick) {
    recipes = *synth::sceneSet({"quick", seed, 0});
  } else {
    if (events_minutes >= 0) recipes = *synth::sceneSet({"events", seed, events_minutes});
    for (const auto& [name, minutes] : {std::pair{"distractors-only", distractor_minutes},
                                        std::pair{"hard-events", hard_events_minutes},
                                        std::pair{"hard-distractors", hard_distractor_minutes}}) {
      if (minutes < 0) continue;  // a negative length leaves the set out
      auto more = *synth::sceneSet({name, seed, minutes, wide});
      recipes.insert(recipes.end(), more.begin(), more.end());
    }
  }

  fs::path work;
  if (keep_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "shaobing-thrown-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::cerr << "cannot create a temporary directory\n";
      return 1;
    }
    work = tmpl;
  } else {
    work = keep_dir;
    fs::create_directories(work);
  }
  fs::create_directories(work / "state");

  synth::Scorer scorer;
  std::map<std::string, synth::Scorer> by_family;  // scene name without its number
  synth::MatchParams match;
  match.x_tolerance_m = x_tolerance;
  long frames = 0;
  double render_s = 0, replay_s = 0;
  std::cout << "shaobing-bench-thrown-accuracy: " << recipes.size() << " scenes, seed " << seed << ", replay by "
            << shaobing << "\n";
  for (const auto& recipe : recipes) {
    const synth::Scene scene = synth::makeScene(recipe);
    synth::WrittenScene written;
    std::string error;
    const fs::path cached = work / (recipe.name + ".avi");
    if (reuse && fs::exists(cached) && fs::exists(work / (recipe.name + ".json"))) {
      // Rendering is deterministic: a kept scene from an earlier run is the same video.
      written.video_path = cached.string();
    } else if (!synth::writeScene(scene, work.string(), camera_id, true, &written, &error)) {
      std::cerr << error << "\n";
      return 1;
    }
    frames += scene.frame_count;
    render_s += written.render_s;
    const std::string config = (work / (recipe.name + ".config.yaml")).string();
    std::ofstream(config) << replayConfig(scene, camera_id, (work / "state").string());
    const std::string out_path = (work / (recipe.name + ".replay.out")).string();
    const std::string err_path = (work / (recipe.name + ".replay.err")).string();
    std::vector<std::string> argv{shaobing, "replay", "--config", config, "--camera", camera_id, written.video_path};
    if (scale > 0) {
      argv.push_back("--scale");
      argv.push_back(std::to_string(scale));
    }
    const RunOutcome run = runToFiles(argv,
                                      out_path, err_path, std::max(120.0, 10 * scene.duration()));
    replay_s += run.seconds;
    std::vector<synth::ReplayWhistle> whistles;
    int malformed = 0;
    std::istringstream lines(readText(out_path));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      synth::ReplayWhistle w;
      const auto kind = synth::parseReplayLine(line, &w, &error);
      if (kind == synth::LineKind::ThrownObject) whistles.push_back(w);
      if (kind == synth::LineKind::Malformed) {
        ++malformed;
        std::cerr << recipe.name << ": malformed replay line (" << error << "): " << line.substr(0, 200) << "\n";
      }
    }
    scorer.addMalformedLines(malformed);
    if (run.exit_code != 0) {
      scorer.addFailedRun();
      std::cerr << recipe.name << ": replay " << (run.exit_code < 0 ? "timed out" : "exited " + std::to_string(run.exit_code))
                << "\n" << tail(readText(err_path), 800) << "\n";
      if (&recipe == &recipes.front()) {
        // A replay that cannot run the first scene will not run the others: stop
        // before rendering half an hour of video for nothing.
        std::cerr << "stopping: replay failed on the first scene\n";
        if (keep_dir.empty()) fs::remove_all(work);
        return 1;
      }
    } else {
      const auto truth = synth::truthEvents(synth::groundTruth(scene, camera_id));
      scorer.addScene(truth, whistles, scene.duration(), match);
      by_family[recipe.name.substr(0, recipe.name.rfind('-'))].addScene(truth, whistles, scene.duration(), match);
      if (verbose) {
        const auto m = synth::matchScene(truth, whistles, match);
        int found = 0;
        for (const auto& w : m.whistle_of_event) found += w.has_value();
        std::printf("  %-22s %5.1f s  events %d/%zu  false %zu  duplicates %zu\n", recipe.name.c_str(),
                    scene.duration(), found, truth.size(), m.false_whistles.size(), m.duplicates.size());
      }
    }
    if (keep_dir.empty()) {
      for (const auto& p : {written.video_path, written.truth_path, written.camera_yaml_path, config, out_path, err_path}) {
        fs::remove(p);
      }
    }
  }
  if (keep_dir.empty()) fs::remove_all(work);

  const bool met = synth::printReport(scorer.figures(), std::cout);
  std::cout << "  by scene set:\n";
  for (const auto& [family, sc] : by_family) {
    const synth::Figures& f = sc.figures();
    const int events = f.events[0] + f.events[1] + f.events[2];
    const int found = f.found[0] + f.found[1] + f.found[2];
    const double footage = (f.event_footage_s + f.distractor_footage_s) / 60;
    const int false_all = f.false_in_distractor_scenes + f.false_in_event_scenes;
    const int false_em = f.false_emergency_in_distractor_scenes + f.false_emergency_in_event_scenes;
    std::printf("    %-18s %6.1f min  found %d/%d (>=12 cm %d/%d)  false %d (emergency %d)  duplicates %d (emergency %d)\n",
                family.c_str(), footage, found, events, f.found[0] + f.found[1], f.events[0] + f.events[1], false_all,
                false_em, f.duplicates, f.duplicate_emergencies);
  }
  std::printf("  scenes %zu, %ld frames (%.1f min); rendering %.1f frames/s, replay %.1f frames/s (%.2fx real time)\n",
              recipes.size(), frames, frames / 25.0 / 60, render_s > 0 ? frames / render_s : 0,
              replay_s > 0 ? frames / replay_s : 0, replay_s > 0 ? frames / 25.0 / replay_s : 0);
  std::cout << (met ? "all targets met" : "targets not met") << "\n";
  return scorer.figures().failed_runs > 0 ? 1 : 0;
}
