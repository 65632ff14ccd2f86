// See pipeline.h.
#include "vision/camera/pipeline.h"

#include <opencv2/imgcodecs.hpp>

#include <chrono>

#include "vision/detectors/registry.h"

namespace shaobing::vision {
namespace {

// Seconds since the last lap.
class StageClock {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

CameraPipeline::CameraPipeline(const config::Config& cfg, const config::CameraConfig& camera, PipelineOptions options)
    : cfg_(cfg), camera_(camera), options_(options), evidence_(cfg.vision, camera.id, options.ring_max_bytes, options.clip_writer, options.clip_source) {}

CameraPipeline::~CameraPipeline() = default;

bool CameraPipeline::ensureDetectors(cv::Size full) {
  if (!full_.empty()) {
    if (full != full_) {
      ++stats_.bad_frames;
      last_error_ = "frame size changed from " + std::to_string(full_.width) + "x" + std::to_string(full_.height) +
                    " to " + std::to_string(full.width) + "x" + std::to_string(full.height);
      return false;
    }
    return true;
  }
  full_ = full;
  for (const auto& [key, config] : camera_.detectors) {
    if (!config->enabled) continue;
    DetectorContext ctx{cfg_, camera_, *config, full, options_.scale_override};
    if (auto d = createDetector(key, ctx)) detectors_.push_back(std::move(d));
  }
  // The motion is estimated on a reduced copy of a grayscale frame: the finest
  // one a detector decodes anyway, else the half-size one.
  if (camera_.stabilise && !detectors_.empty()) {
    motion_ = std::make_unique<MotionEstimator>();
    motion_scale_ = 0;
    for (const auto& d : detectors_) {
      const int s = d->grayScale();
      if (s > 0 && (motion_scale_ == 0 || s < motion_scale_)) motion_scale_ = s;
    }
    if (motion_scale_ == 0) motion_scale_ = 2;
  }
  return true;
}

std::vector<Finding> CameraPipeline::pushJpeg(std::shared_ptr<const std::string> jpeg, double t) {
  ++stats_.frames;
  if (!hasDetectors()) return {};
  if (!jpeg || jpeg->size() < 4) {
    ++stats_.bad_frames;
    last_error_ = "empty frame";
    return {};
  }
  cv::Size full = full_;
  if (full.empty() && !jpegSize(*jpeg, &full, &last_error_)) {
    ++stats_.bad_frames;
    return {};
  }
  if (!ensureDetectors(full)) return {};
  CameraFrame frame(t, jpeg, full_);
  return analyse(frame);
}

std::vector<Finding> CameraPipeline::pushFrame(const cv::Mat& image, double t) {
  ++stats_.frames;
  if (!hasDetectors()) return {};
  if (image.empty() || (image.type() != CV_8UC3 && image.type() != CV_8UC1)) {
    ++stats_.bad_frames;
    last_error_ = "empty or unsupported frame";
    return {};
  }
  if (!ensureDetectors(image.size())) return {};
  std::shared_ptr<const std::string> jpeg;
  if (options_.evidence) {
    std::vector<uchar> bytes;
    cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 75});
    jpeg = std::make_shared<const std::string>(bytes.begin(), bytes.end());
  }
  if (jpeg) evidence_.push({t, jpeg});
  CameraFrame frame(t, image);
  return analyse(frame);
}

std::vector<Finding> CameraPipeline::analyse(CameraFrame& frame) {
  const double t = frame.time();
  StageClock clock;
  if (options_.evidence && frame.jpeg()) evidence_.push({t, frame.jpeg()});
  stats_.evidence_s += clock.lap();
  GlobalMotion motion;
  const GlobalMotion* motion_ptr = nullptr;
  if (motion_) {
    const cv::Mat& gray = frame.gray(motion_scale_);
    stats_.decode_s += clock.lap();
    if (gray.empty()) {
      ++stats_.bad_frames;
      last_error_ = frame.error();
      return {};
    }
    motion = rescaled(motion_->estimate(gray, t), motion_scale_, 1);
    motion_ptr = &motion;
    stats_.motion_s += clock.lap();
  }
  std::vector<Finding> out;
  for (auto& d : detectors_) {
    for (auto& f : d->process(frame, motion_ptr)) out.push_back(std::move(f));
  }
  stats_.detect_s += clock.lap();
  if (!frame.error().empty()) {
    ++stats_.bad_frames;
    last_error_ = frame.error();
  }
  if (options_.evidence) {
    for (auto& f : out) evidence_.document(f);
    evidence_.writeDue(t, false);
    stats_.evidence_s += clock.lap();
  }
  return out;
}

std::vector<Finding> CameraPipeline::finish(double t) {
  std::vector<Finding> out;
  for (auto& d : detectors_) {
    for (auto& f : d->flush(t)) out.push_back(std::move(f));
  }
  if (options_.evidence) {
    for (auto& f : out) evidence_.document(f);
    evidence_.writeDue(t, true);
  }
  return out;
}

void CameraPipeline::idle(double now) {
  if (options_.evidence && evidence_.pending()) evidence_.writeDue(now, false);
}

size_t CameraPipeline::memoryBytes() const {
  size_t total = evidence_.memoryBytes() + (motion_ ? motion_->memoryBytes() : 0);
  for (const auto& d : detectors_) total += d->memoryBytes();
  return total;
}

}  // namespace shaobing::vision
