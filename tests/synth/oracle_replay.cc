// Test stand-in for `shaobing replay`: reads the ground truth beside the video and
// prints one perfect thrown_object whistle per event, 0.8 s after release (or at
// landing, whichever is first), so the accuracy harness can be tested end to end.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 7 || std::string(argv[1]) != "replay" || std::string(argv[2]) != "--config" ||
      std::string(argv[4]) != "--camera") {
    std::cerr << "usage: replay --config PATH --camera ID VIDEO\n";
    return 2;
  }
  if (!std::filesystem::exists(argv[3])) {
    std::cerr << "no config " << argv[3] << "\n";
    return 1;
  }
  std::ifstream in(std::filesystem::path(argv[6]).replace_extension(".json"));
  nlohmann::json gt = nlohmann::json::parse(in, nullptr, false);
  if (gt.is_discarded() || gt["camera_id"] != argv[5]) {
    std::cerr << "no ground truth for camera " << argv[5] << "\n";
    return 1;
  }
  const double fps = gt["fps"].get<double>();
  for (const auto& e : gt["events"]) {
    const double t = std::min(e["release_time_s"].get<double>() + 0.8, e["end_time_s"].get<double>());
    const int frame = static_cast<int>(std::ceil(t * fps));
    const int floor = e["floor"].get<int>();
    nlohmann::json w = {{"type", "thrown_object"},
                        {"level", "urgent"},
                        {"details",
                         {{"floor", floor},
                          {"floor_range", {floor - 1, floor + 1}},
                          {"facade_x_m", e["facade_x_m"]},
                          {"release_time_s", e["release_time_s"]},
                          {"confidence", 0.9}}},
                        {"frame", frame},
                        {"video_time_s", frame / fps}};
    std::cout << w.dump() << "\n";
  }
  return 0;
}
