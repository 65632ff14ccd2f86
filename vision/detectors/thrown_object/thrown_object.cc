// See thrown_object.h.
#include "vision/detectors/thrown_object/thrown_object.h"

#include <cmath>
#include <sstream>

namespace shaobing::vision {
namespace {

double round3(double v) { return std::round(v * 1000) / 1000; }

class ThrownObjectDetector : public Detector {
 public:
  explicit ThrownObjectDetector(const DetectorContext& ctx)
      : cfg_(dynamic_cast<const ThrownObjectConfig&>(ctx.config)),
        camera_(ctx.camera),
        scale_(ctx.scale_override > 0 ? ctx.scale_override : cfg_.analysis_scale),
        detector_(cfg_, ctx.full_size, paramsFor(scale_)) {}

  std::string name() const override { return "thrown_object"; }
  int grayScale() const override { return detector_.params().scale; }

  std::vector<Finding> process(CameraFrame& frame, const GlobalMotion* motion) override {
    const cv::Mat& gray = frame.gray(detector_.params().scale);
    if (gray.empty()) return {};  // the camera counts the bad frame
    GlobalMotion scaled;
    if (motion != nullptr) scaled = rescaled(*motion, 1, detector_.params().scale);
    return findings(detector_.process(gray, frame.time(), motion ? &scaled : nullptr), frame.time());
  }

  std::vector<Finding> flush(double t) override { return findings(detector_.flush(t), t); }

  nlohmann::json stats() const override {
    const DetectorStats& s = detector_.stats();
    return {{"frames", s.frames},           {"noise_sigma", round3(s.noise_sigma)}, {"blobs", s.blobs},
            {"tracks", s.tracks},           {"disturbed_frames", s.disturbed_frames},
            {"stabilised_frames", s.stabilised_frames}, {"held_frames", s.held_frames},
            {"rejected_falls", s.rejected}, {"split_tracks_folded", s.duplicates}, {"decisions", s.decisions},
            {"below_priority", below_priority_}};
  }

  size_t memoryBytes() const override { return detector_.memoryBytes(); }

 private:
  static DetectorParams paramsFor(int scale) {
    DetectorParams p;
    p.scale = scale;
    return p;
  }

  std::vector<Finding> findings(std::vector<FallDecision> decisions, double t) {
    std::vector<Finding> out;
    for (auto& d : decisions) {
      if (d.confidence < cfg_.priority_confidence) {
        ++below_priority_;
        continue;
      }
      out.push_back(finding(std::move(d), t));
    }
    return out;
  }

  Finding finding(FallDecision d, double t) const {
    Finding f;
    whistle::Incident& inc = f.incident;
    inc.type = "thrown_object";
    inc.source = camera_.id;
    inc.zone = camera_.zone;
    inc.grid = camera_.grid;
    inc.location = camera_.location;
    inc.location.floor = d.floor;
    inc.details = thrownObjectDetails(d, camera_.id);
    // A fall slower than bags usually fall is never more than suspected.
    const bool emergency = d.confidence >= cfg_.emergency_confidence && !d.slow;
    inc.level = emergency ? whistle::Level::kEmergency : whistle::Level::kPriority;
    if (!emergency) inc.details["suspected"] = true;  // "please review the clip"
    f.observed_at = d.release_time;
    f.decided_at = t;
    f.evidence_name = "thrown";
    for (const auto& p : d.track) f.overlay.observed.push_back({p.t, p.px});
    f.overlay.fitted = d.fitted_path;
    f.overlay.origin = d.origin_px;
    f.overlay.floor_band = detector_.facade().floorOutline(d.floor);
    std::ostringstream label;
    label << camera_.id << "  floor " << d.floor << " (" << d.floor_lo << "-" << d.floor_hi << ")  x "
          << std::round(d.facade_x_m * 10) / 10 << " m  conf " << std::round(d.confidence * 100) / 100
          << (emergency ? "" : "  suspected");
    f.overlay.label = label.str();
    return f;
  }

  const ThrownObjectConfig& cfg_;
  const config::CameraConfig& camera_;
  int scale_;
  FallDetector detector_;
  long below_priority_ = 0;
};

}  // namespace

nlohmann::json thrownObjectDetails(const FallDecision& d, const std::string& camera_id) {
  nlohmann::json j = {{"camera", camera_id},
                      {"floor", d.floor},
                      {"floor_range", {d.floor_lo, d.floor_hi}},
                      {"facade_x_m", round3(d.facade_x_m)},
                      {"release_height_m", round3(d.release_height_m)},
                      {"release_time_s", round3(d.release_time)},
                      {"decided_time_s", round3(d.decided_at)},
                      {"confidence", round3(d.confidence)},
                      {"motion", d.heavy ? "free_fall" : d.slow ? "slow_fall" : "steady_fall"},
                      {"speed_mps", round3(d.speed_mps)},
                      {"track_points", d.track.size()},
                      {"track_s", round3(d.duration_s)},
                      {"camera_shake", round3(d.shaky_fraction)}};
  if (d.column > 0) j["column"] = d.column;
  return j;
}

DetectorEntry thrownObjectEntry() {
  return {"thrown_object", parseThrownObjectConfig,
          [](const DetectorContext& ctx) -> std::unique_ptr<Detector> {
            return std::make_unique<ThrownObjectDetector>(ctx);
          }};
}

}  // namespace shaobing::vision
