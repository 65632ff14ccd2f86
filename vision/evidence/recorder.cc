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

namespace {
// How long a clip waits for the record stream to catch up with the analysed
// stream before it is cut with what there is.
constexpr double kRecordLagS = 3.0;
}  // namespace

EvidenceRecorder::EvidenceRecorder(const config::VisionConfig& vision, std::string camera_id, size_t ring_max_bytes,
                                   ClipWriter* writer, std::shared_ptr<ClipSource> clips)
    : vision_(vision),
      camera_id_(std::move(camera_id)),
      writer_(writer),
      source_(std::move(clips)),
      format_(source_ ? ClipFormat::kMp4 : parseClipFormat(vision.clip_format)),
      ring_(source_ ? 2.0 : vision.clip_pre_s + vision.clip_post_s + 1.0, ring_max_bytes) {}

EvidenceRecorder::~EvidenceRecorder() {
  std::unique_lock<std::mutex> lock(jobs_mu_);
  jobs_cv_.wait(lock, [&] { return jobs_out_ == 0; });
}

void EvidenceRecorder::document(Finding& f) {
  whistle::Incident& inc = f.incident;
  const std::string dir = vision_.evidence_dir + "/" + camera_id_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const long ticket = ++sequence_;
  const std::string base = dir + "/" + f.evidence_name + "-" + stamp(f.observed_at) + "-" + std::to_string(ticket);
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
    ++snapshot_errors_;
    setError("snapshot of " + base + ": " + (frame.jpeg ? "cannot draw or write it" : "no frame recorded"));
  }
  const double from = f.observed_at - vision_.clip_pre_s, to = f.decided_at + vision_.clip_post_s;
  pending_.push_back({from, to, base, ticket});
  f.clip_ticket = ticket;
  inc.details["clip"] = {{"path", base + extension(format_)},
                         {"from_s", round3(from)},
                         {"to_s", round3(to)},
                         {"content_type", contentType(format_)},
                         {"follows", true}};
}

void EvidenceRecorder::writeDue(double now, bool all) {
  std::vector<PendingClip> keep;
  for (auto& c : pending_) {
    if (!all && now < c.to) {
      keep.push_back(std::move(c));
      continue;
    }
    ClipWriter::Write write;
    if (source_) {
      const double newest = source_->newest();
      if (!all && !(newest >= c.to) && now < c.to + kRecordLagS) {
        keep.push_back(std::move(c));
        continue;
      }
      write = [job = source_->cut(c.from, c.to), base = c.base] { return job(base); };
    } else {
      Mp4Options mp4;
      mp4.crf = vision_.clip_crf;
      write = [frames = ring_.between(c.from, c.to), base = c.base, format = format_, mp4] {
        return writeClip(frames, base, format, mp4);
      };
    }
    if (writer_ == nullptr) {
      finished(c.ticket, write());
      continue;
    }
    const long ticket = c.ticket;
    {
      std::lock_guard<std::mutex> lock(jobs_mu_);
      ++jobs_out_;
    }
    const bool queued = writer_->submit(std::move(write), [this, ticket](const ClipResult& r) {
      finished(ticket, r);
      std::lock_guard<std::mutex> lock(jobs_mu_);
      --jobs_out_;
      jobs_cv_.notify_all();
    });
    if (!queued) {
      {
        std::lock_guard<std::mutex> lock(jobs_mu_);
        --jobs_out_;
      }
      ClipResult r;
      r.error = "clip " + c.base + ": the clip writer is busy with earlier clips; this one is skipped";
      finished(ticket, r);
    }
  }
  pending_ = std::move(keep);
}

void EvidenceRecorder::finished(long ticket, const ClipResult& r) {
  if (r.ok) {
    ++clips_written_;
    if (!r.error.empty()) {
      ++clip_fallbacks_;
      setError(r.error);
    }
    enforceRetention(vision_.evidence_dir, static_cast<uint64_t>(vision_.evidence_max_bytes));
  } else {
    ++clip_errors_;
    setError(r.error);
  }
  if (on_clip_) on_clip_(ticket, r);
}

void EvidenceRecorder::setError(std::string e) {
  std::lock_guard<std::mutex> lock(error_mu_);
  last_error_ = std::move(e);
}

EvidenceStats EvidenceRecorder::stats() const {
  EvidenceStats s;
  s.clips_written = clips_written_.load();
  s.clip_errors = clip_errors_.load();
  s.clip_fallbacks = clip_fallbacks_.load();
  s.snapshot_errors = snapshot_errors_.load();
  return s;
}

std::string EvidenceRecorder::lastError() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_;
}

}  // namespace shaobing::vision
