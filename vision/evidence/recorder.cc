// See recorder.h.
#include "vision/evidence/recorder.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

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

EvidenceRecorder::EvidenceRecorder(const config::VisionConfig& vision, std::string camera_id, size_t ring_max_bytes)
    : vision_(vision),
      camera_id_(std::move(camera_id)),
      ring_(vision.clip_pre_s + vision.clip_post_s + 1.0, ring_max_bytes) {}

void EvidenceRecorder::document(Finding& f) {
  whistle::Incident& inc = f.incident;
  const std::string dir = vision_.evidence_dir + "/" + camera_id_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string base = dir + "/" + f.evidence_name + "-" + stamp(f.observed_at) + "-" + std::to_string(++sequence_);
  const EncodedFrame frame = ring_.nearest(f.decided_at);
  const std::string snap = frame.jpeg ? drawSnapshot(*frame.jpeg, f.overlay, vision_.snapshot_quality) : "";
  bool written = false;
  if (!snap.empty()) {
    const std::string path = base + ".jpg";
    std::ofstream out(path, std::ios::binary);
    out.write(snap.data(), static_cast<std::streamsize>(snap.size()));
    if (out) {
      written = true;
      inc.evidence.push_back({"snapshot", "image/jpeg", path, ""});
      inc.details["snapshot"] = {{"path", path}, {"sha256", whistle::sha256Hex(snap)}};
    }
  }
  if (!written) {
    ++stats_.snapshot_errors;
    last_error_ = "snapshot of " + base + ": " + (frame.jpeg ? "cannot draw or write it" : "no frame recorded");
  }
  const std::string clip = base + ".avi";
  const double from = f.observed_at - vision_.clip_pre_s, to = f.decided_at + vision_.clip_post_s;
  pending_.push_back({from, to, clip});
  inc.details["clip"] = {{"path", clip}, {"from_s", round3(from)}, {"to_s", round3(to)}, {"content_type", "video/x-msvideo"}};
}

void EvidenceRecorder::writeDue(double now, bool all) {
  std::vector<PendingClip> keep;
  for (auto& c : pending_) {
    if (!all && now < c.to) {
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
    enforceRetention(vision_.evidence_dir, static_cast<uint64_t>(vision_.evidence_max_bytes));
  }
  pending_ = std::move(keep);
}

}  // namespace shaobing::vision
