// See pipeline.h.
#include "vision/thrown/pipeline.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/whistle/encoding.h"

namespace shaobing::vision {
namespace {

double round3(double v) { return std::round(v * 1000) / 1000; }

std::string stamp(double t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", t);
  return buf;
}

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
                      {"motion", d.heavy ? "free_fall" : "steady_fall"},
                      {"speed_mps", round3(d.speed_mps)},
                      {"track_points", d.track.size()}};
  if (d.column > 0) j["column"] = d.column;
  return j;
}

ThrownObjectPipeline::ThrownObjectPipeline(const config::Config& cfg, const config::CameraConfig& camera,
                                           PipelineOptions options)
    : cfg_(cfg),
      camera_(camera),
      options_(options),
      ring_(cfg.vision.clip_pre_s + cfg.vision.clip_post_s + 1.0, options.ring_max_bytes) {
  if (options_.detector.scale <= 0) {
    options_.detector.scale = camera.thrown_object ? camera.thrown_object->analysis_scale : 1;
  }
}

ThrownObjectPipeline::~ThrownObjectPipeline() = default;

bool ThrownObjectPipeline::ensureDetector(cv::Size full) {
  if (detector_) {
    if (full != full_) {
      ++stats_.bad_frames;
      last_error_ = "frame size changed from " + std::to_string(full_.width) + "x" + std::to_string(full_.height) +
                    " to " + std::to_string(full.width) + "x" + std::to_string(full.height);
      return false;
    }
    return true;
  }
  full_ = full;
  detector_ = std::make_unique<FallDetector>(*camera_.thrown_object, full, options_.detector);
  return true;
}

std::vector<ThrownObjectEvent> ThrownObjectPipeline::pushJpeg(std::shared_ptr<const std::string> jpeg, double t) {
  ++stats_.frames;
  if (!detects()) return {};
  if (!jpeg || jpeg->size() < 4) {
    ++stats_.bad_frames;
    last_error_ = "empty frame";
    return {};
  }
  const int scale = options_.detector.scale;
  const int flag = scale >= 4 ? cv::IMREAD_REDUCED_GRAYSCALE_4 : scale >= 2 ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_GRAYSCALE;
  cv::Mat gray;
  try {
    cv::Mat buf(1, static_cast<int>(jpeg->size()), CV_8U, const_cast<char*>(jpeg->data()));
    gray = cv::imdecode(buf, flag);
  } catch (const cv::Exception&) {
    gray.release();
  }
  if (gray.empty()) {
    ++stats_.bad_frames;
    last_error_ = "not a decodable JPEG image";
    return {};
  }
  if (!detector_) {
    // The camera's full size is that of its first frame, from the JPEG header.
    cv::Size full = gray.size();
    if (scale > 1 && !jpegSize(*jpeg, &full, &last_error_)) {
      ++stats_.bad_frames;
      return {};
    }
    if (!ensureDetector(full)) return {};
  }
  if (gray.size() != detector_->analysisSize()) {
    // Reduced decoding rounds up; crop to the analysis size (or reject another size).
    const cv::Size want = detector_->analysisSize();
    if (gray.cols < want.width || gray.rows < want.height || gray.cols > want.width + 1 || gray.rows > want.height + 1) {
      ++stats_.bad_frames;
      last_error_ = "frame size differs from the camera's first frame";
      return {};
    }
    gray = gray(cv::Rect(0, 0, want.width, want.height));
  }
  return analyse(gray, t, std::move(jpeg));
}

std::vector<ThrownObjectEvent> ThrownObjectPipeline::pushFrame(const cv::Mat& frame, double t) {
  ++stats_.frames;
  if (!detects()) return {};
  if (frame.empty() || (frame.type() != CV_8UC3 && frame.type() != CV_8UC1)) {
    ++stats_.bad_frames;
    last_error_ = "empty or unsupported frame";
    return {};
  }
  if (!ensureDetector(frame.size())) return {};
  cv::Mat gray;
  if (frame.channels() == 3) {
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  } else {
    gray = frame;
  }
  const cv::Size want = detector_->analysisSize();
  if (gray.size() != want) cv::resize(gray, gray, want, 0, 0, cv::INTER_AREA);
  std::shared_ptr<const std::string> jpeg;
  if (options_.evidence) {
    std::vector<uchar> bytes;
    cv::imencode(".jpg", frame, bytes, {cv::IMWRITE_JPEG_QUALITY, 75});
    jpeg = std::make_shared<const std::string>(bytes.begin(), bytes.end());
  }
  return analyse(gray, t, std::move(jpeg));
}

std::vector<ThrownObjectEvent> ThrownObjectPipeline::analyse(const cv::Mat& gray, double t,
                                                             std::shared_ptr<const std::string> jpeg) {
  if (options_.evidence && jpeg) ring_.push({t, std::move(jpeg)});
  std::vector<ThrownObjectEvent> out;
  for (auto& d : detector_->process(gray, t)) out.push_back(build(std::move(d), t));
  if (options_.evidence) writeDueClips(t, false);
  return out;
}

std::vector<ThrownObjectEvent> ThrownObjectPipeline::finish(double t) {
  std::vector<ThrownObjectEvent> out;
  if (detector_) {
    for (auto& d : detector_->flush(t)) out.push_back(build(std::move(d), t));
  }
  if (options_.evidence) writeDueClips(t, true);
  return out;
}

void ThrownObjectPipeline::idle(double now) {
  if (options_.evidence && !pending_.empty()) writeDueClips(now, false);
}

ThrownObjectEvent ThrownObjectPipeline::build(FallDecision d, double t) {
  ThrownObjectEvent ev;
  whistle::Incident& inc = ev.incident;
  inc.type = "thrown_object";
  inc.source = camera_.id;
  inc.zone = camera_.zone;
  inc.grid = camera_.grid;
  inc.location = camera_.location;
  inc.location.floor = d.floor;
  inc.details = thrownObjectDetails(d, camera_.id);
  if (options_.evidence) {
    const std::string dir = cfg_.vision.evidence_dir + "/" + camera_.id;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string base = dir + "/thrown-" + stamp(d.release_time) + "-" + std::to_string(++sequence_);
    EncodedFrame frame = ring_.nearest(t);
    SnapshotOverlay overlay;
    for (const auto& p : d.track) overlay.observed.push_back({p.t, p.px});
    overlay.fitted = d.fitted_path;
    overlay.origin = d.origin_px;
    overlay.floor_band = detector_->facade().floorOutline(d.floor);
    std::ostringstream label;
    label << camera_.id << "  floor " << d.floor << " (" << d.floor_lo << "-" << d.floor_hi << ")  x "
          << std::round(d.facade_x_m * 10) / 10 << " m  conf " << std::round(d.confidence * 100) / 100;
    overlay.label = label.str();
    std::string snap = frame.jpeg ? drawSnapshot(*frame.jpeg, overlay, cfg_.vision.snapshot_quality) : "";
    if (!snap.empty()) {
      const std::string path = base + ".jpg";
      std::ofstream f(path, std::ios::binary);
      f.write(snap.data(), static_cast<std::streamsize>(snap.size()));
      if (f) {
        inc.evidence.push_back({"snapshot", "image/jpeg", path, ""});
        inc.details["snapshot"] = {{"path", path}, {"sha256", whistle::sha256Hex(snap)}};
      } else {
        ++stats_.snapshot_errors;
      }
    } else {
      ++stats_.snapshot_errors;
    }
    const std::string clip = base + ".avi";
    const double from = d.release_time - cfg_.vision.clip_pre_s, to = t + cfg_.vision.clip_post_s;
    pending_.push_back({from, to, clip});
    inc.details["clip"] = {{"path", clip},
                           {"from_s", round3(from)},
                           {"to_s", round3(to)},
                           {"content_type", "video/x-msvideo"}};
  }
  ev.decision = std::move(d);
  return ev;
}

void ThrownObjectPipeline::writeDueClips(double t, bool all) {
  std::vector<PendingClip> keep;
  for (auto& c : pending_) {
    if (!all && t < c.to) {
      keep.push_back(std::move(c));
      continue;
    }
    auto frames = ring_.between(c.from, c.to);
    std::string error;
    whistle::Sha256 sha;
    const auto observe = [&sha](const char* data, size_t n) { sha.update(data, n); };
    if (frames.empty() || !writeMjpegAvi(c.path, frames, framesPerSecond(frames, 25), &error, observe)) {
      ++stats_.clip_errors;
      last_error_ = "clip " + c.path + ": " + (frames.empty() ? "no frames" : error);
      continue;
    }
    ++stats_.clips_written;
    const std::string hash = sha.hex();
    std::ofstream(c.path + ".sha256") << hash << "  " << std::filesystem::path(c.path).filename().string() << "\n";
    if (on_clip_) on_clip_(c.path, hash);
    enforceRetention(cfg_.vision.evidence_dir, static_cast<uint64_t>(cfg_.vision.evidence_max_bytes));
  }
  pending_ = std::move(keep);
}

size_t ThrownObjectPipeline::memoryBytes() const {
  return ring_.bytes() + ring_.size() * 64 + (detector_ ? detector_->memoryBytes() : 0);
}

}  // namespace shaobing::vision
