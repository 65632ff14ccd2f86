// See clip_writer.h.
#include "vision/evidence/clip_writer.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <filesystem>

#include "gateway/core/thread_name.h"
#include "gateway/whistle/encoding.h"

namespace shaobing::vision {
namespace {

bool hashFile(const std::string& path, std::string* hex, uint64_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  whistle::Sha256 sha;
  std::vector<char> buf(1 << 16);
  uint64_t total = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    sha.update(buf.data(), n);
    total += n;
  }
  if (in.bad()) return false;
  *hex = sha.hex();
  *bytes = total;
  return true;
}

}  // namespace

ClipFormat parseClipFormat(const std::string& text) { return text == "avi" ? ClipFormat::kAvi : ClipFormat::kMp4; }

const char* contentType(ClipFormat format) { return format == ClipFormat::kAvi ? "video/x-msvideo" : "video/mp4"; }

const char* extension(ClipFormat format) { return format == ClipFormat::kAvi ? ".avi" : ".mp4"; }

ClipResult writeClip(const std::vector<EncodedFrame>& frames, const std::string& base, ClipFormat format,
                     const Mp4Options& mp4) {
  const auto start = std::chrono::steady_clock::now();
  ClipResult r;
  r.frames = static_cast<int>(frames.size());
  std::string fallback_reason;
  if (frames.empty()) {
    r.error = "no frames recorded for the clip";
    return r;
  }
  if (format == ClipFormat::kMp4) {
    r.path = base + extension(format);
    std::string error;
    if (writeMp4(r.path, frames, mp4, &error)) {
      r.ok = true;
    } else {
      fallback_reason = "MP4 not written (" + error + "); clip kept as MJPEG AVI";
      format = ClipFormat::kAvi;
    }
  }
  if (format == ClipFormat::kAvi) {
    r.path = base + extension(format);
    std::string error;
    r.ok = writeMjpegAvi(r.path, frames, framesPerSecond(frames, 25), &error);
    if (!r.ok) r.error = fallback_reason.empty() ? error : fallback_reason + "; AVI not written either: " + error;
  }
  if (r.ok) {
    const int n = r.frames;
    r = finishClip(r.path, contentType(format), n);
    if (r.ok) r.error = fallback_reason;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

ClipResult finishClip(const std::string& path, const std::string& content_type, int frames) {
  ClipResult r;
  r.path = path;
  r.frames = frames;
  r.content_type = content_type;
  if (!hashFile(path, &r.sha256, &r.bytes)) {
    r.error = "cannot read back " + path;
    return r;
  }
  std::ofstream(path + ".sha256") << r.sha256 << "  " << std::filesystem::path(path).filename().string() << "\n";
  r.ok = true;
  return r;
}

ClipWriter::ClipWriter(size_t max_queued, int nice) : max_queued_(max_queued) {
  thread_ = std::thread([this, nice] {
    nameThisThread("clip-writer");
    run(nice);
  });
}

ClipWriter::~ClipWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ClipWriter::submit(Write write, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (jobs_.size() >= max_queued_) return false;
    jobs_.push_back({std::move(write), std::move(done)});
  }
  cv_.notify_one();
  return true;
}


void ClipWriter::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return jobs_.empty() && !busy_; });
}

size_t ClipWriter::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size() + (busy_ ? 1 : 0);
}

void ClipWriter::run(int nice) {
  // Per-thread niceness: on Linux setpriority() on a thread id applies to that thread only.
  if (nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
    }
    const ClipResult r = job.write();
    if (job.done) job.done(r);
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
}

}  // namespace shaobing::vision
