// The camera component; see component.h.
#include "vision/component.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "gateway/core/log.h"
#include "gateway/core/thread_name.h"
#include "gateway/daemon/liveness.h"
#include "gateway/whistle/incident.h"
#include "vision/camera/pipeline.h"
#include "vision/camera/stream_recorder.h"
#include "vision/evidence/clip_writer.h"

namespace shaobing::vision {
namespace {

constexpr size_t kMaxFrameBytes = 8u << 20;
constexpr double kGopMarginS = 4;                // record streams: a group of pictures before the clip
constexpr size_t kRecordRingBytes = 48u << 20;  // record streams: compressed packets kept



struct Frame {
  double t = 0;
  std::shared_ptr<const std::string> jpeg;  // MQTT frames
  cv::Mat image;                            // frames read from a URL
};

class Camera {
 public:
  Camera(ServiceContext& ctx, const config::Config& cfg, const config::CameraConfig& cam, ClipWriter* clips)
      : ctx_(ctx),
        cfg_(cfg),
        cam_(cam),
        log_(logger("vision")),
        rlog_(log_),
        record_(makeRecorder(ctx, cfg, cam)),
        pipeline_(cfg, cam, pipelineOptions(clips, record_)),
        c_frames_(ctx.counters.counter("vision." + cam.id + ".frames")),
        c_dropped_(ctx.counters.counter("vision." + cam.id + ".dropped")),
        c_bad_(ctx.counters.counter("vision." + cam.id + ".bad_frames")),
        c_whistles_(ctx.counters.counter("vision." + cam.id + ".whistles")),
        c_clips_(ctx.counters.counter("vision." + cam.id + ".clips")),
        c_evidence_errors_(ctx.counters.counter("vision." + cam.id + ".evidence_errors")) {
    pipeline_.onClip([this](long ticket, const ClipResult& r) { clipDone(ticket, r); });
  }

  const config::CameraConfig& config() const { return cam_; }

  void start() {
    if (record_) record_->start();
    worker_ = std::thread([this] {
      nameThisThread("cam:" + cam_.id);
      work();
    });
    if (cam_.source == "url") {
      reader_ = std::thread([this] {
        nameThisThread("read:" + cam_.id);
        read();
      });
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (reader_.joinable()) reader_.join();
    if (worker_.joinable()) worker_.join();
    if (record_) record_->stop();
  }

  // Any thread. Drops the oldest waiting frame when the queue is full.
  void push(Frame f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      if (!std::isnan(last_t_) && f.t <= last_t_) {
        ++c_bad_;
        rlog_.warn("order-" + cam_.id, "camera " + cam_.id + ": frame out of order or repeated, dropped");
        return;
      }
      last_t_ = f.t;
      if (queue_.size() >= static_cast<size_t>(cam_.queue_frames)) {
        queue_.pop_front();
        ++c_dropped_;
      }
      queue_.push_back(std::move(f));
    }
    ++c_frames_;
    cv_.notify_one();
    seen();
  }

  void badFrame(const std::string& why) {
    ++c_bad_;
    rlog_.warn("bad-" + cam_.id, "camera " + cam_.id + ": " + why);
  }

  nlohmann::json health() const {
    std::lock_guard<std::mutex> lock(mu_);
    nlohmann::json j = {{"source", cam_.source},
            {"frames", c_frames_.load()},
            {"dropped", c_dropped_.load()},
            {"bad_frames", c_bad_.load()},
            {"whistles", c_whistles_.load()},
            {"clips", c_clips_.load()},
            {"evidence_errors", c_evidence_errors_.load()},
            {"queue", queue_.size()},
            {"memory_bytes", memory_bytes_.load() + (record_ ? record_->ring().bytes() : 0)}};
    if (record_) {
      const StreamRecorderStats rs = record_->stats();
      j["record_stream"] = {{"connected", rs.connected}, {"packets", rs.packets}, {"connects", rs.connects},
                            {"failures", rs.failures}, {"ring_bytes", record_->ring().bytes()}};
    }
    return j;
  }

 private:
  // A sign of life for the daemon's liveness watch (device_offline and its closing).
  void seen() {
    if (ctx_.liveness != nullptr) ctx_.liveness->seen(cam_.id);
  }

  void work() {
    for (;;) {
      Frame f;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); })) {
          lock.unlock();
          pipeline_.idle(toUnixMillis(ctx_.clock.now()) / 1000.0);  // finish clips of a silent camera
          syncEvidenceStats();
          continue;
        }
        if (stopping_) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      const long bad_before = pipeline_.stats().bad_frames;
      std::vector<Finding> events;
      try {
        events = f.jpeg ? pipeline_.pushJpeg(std::move(f.jpeg), f.t) : pipeline_.pushFrame(f.image, f.t);
      } catch (const std::exception& e) {
        badFrame(std::string("frame rejected: ") + e.what());
        continue;
      }
      if (pipeline_.stats().bad_frames > bad_before) badFrame(pipeline_.lastError());
      syncEvidenceStats();
      memory_bytes_ = pipeline_.memoryBytes();
      for (auto& ev : events) raise(ev);
    }
  }

  // Worker thread: evidence outcomes of the pipeline become counters (shown in
  // health); failures are logged.
  void syncEvidenceStats() {
    const EvidenceStats st = pipeline_.evidenceStats();
    const long errors = st.clip_errors + st.snapshot_errors;
    if (errors > evidence_errors_seen_) {
      rlog_.warn("evidence-" + cam_.id, "camera " + cam_.id + ": evidence not written: " + pipeline_.evidenceError());
    }
    c_clips_ += static_cast<uint64_t>(st.clips_written - clips_seen_);
    c_evidence_errors_ += static_cast<uint64_t>(errors - evidence_errors_seen_);
    clips_seen_ = st.clips_written;
    evidence_errors_seen_ = errors;
  }

  static PipelineOptions pipelineOptions(ClipWriter* clips, std::shared_ptr<StreamRecorder> record) {
    PipelineOptions o;
    o.clip_writer = clips;
    o.clip_source = std::move(record);
    return o;
  }

  // The main stream clips are cut from, when the camera analyses a sub-stream.
  std::shared_ptr<StreamRecorder> makeRecorder(ServiceContext& ctx, const config::Config& cfg,
                                               const config::CameraConfig& cam) {
    if (cam.source != "url" || cam.recordUrl().empty()) return nullptr;
    // Whole groups of pictures are kept: a clip starts on the keyframe before its start.
    const double span = cfg.vision.clip_pre_s + cfg.vision.clip_post_s + 1 + kGopMarginS;
    return std::make_shared<StreamRecorder>(
        cam.recordUrl(), span, kRecordRingBytes, [&ctx] { return toUnixMillis(ctx.clock.now()) / 1000.0; },
        [this](const std::string& why) { rlog_.warn("record-" + cam_.id, "camera " + cam_.id + ": " + why); });
  }

  // A clip follows its whistle: the ticket its finding got is bound to the
  // whistle id once raised; the clip, when written (on the clip writer's
  // thread), is attached to that whistle. Either may come first.
  void bindClip(long ticket, const std::string& whistle_id) {
    std::optional<ClipResult> ready;
    {
      std::lock_guard<std::mutex> lock(clips_mu_);
      auto it = clips_ready_.find(ticket);
      if (it == clips_ready_.end()) {
        clip_whistles_[ticket] = whistle_id;
        return;
      }
      ready = std::move(it->second);
      clips_ready_.erase(it);
    }
    attachClip(whistle_id, *ready);
  }

  // The whistle was not stored: its clip, written or still to come, goes nowhere.
  void forgetClip(long ticket) {
    std::lock_guard<std::mutex> lock(clips_mu_);
    clip_whistles_.erase(ticket);
    if (clips_ready_.erase(ticket) == 0) forgotten_.insert(ticket);
  }

  void clipDone(long ticket, const ClipResult& r) {
    std::string whistle_id;
    {
      std::lock_guard<std::mutex> lock(clips_mu_);
      if (forgotten_.erase(ticket)) return;
      auto it = clip_whistles_.find(ticket);
      if (it == clip_whistles_.end()) {
        clips_ready_[ticket] = r;
        return;
      }
      whistle_id = std::move(it->second);
      clip_whistles_.erase(it);
    }
    attachClip(whistle_id, r);
  }

  void attachClip(const std::string& whistle_id, const ClipResult& r) {
    if (!r.ok) {
      rlog_.warn("clip-" + cam_.id, "camera " + cam_.id + ": no clip for whistle " + whistle_id + ": " + r.error);
      return;
    }
    if (!r.error.empty()) rlog_.warn("clip-format-" + cam_.id, "camera " + cam_.id + ": " + r.error);
    log_->info("camera {}: clip {} for whistle {} written in {:.2f} s ({} frames, {} bytes)", cam_.id, r.path,
               whistle_id, r.seconds, r.frames, r.bytes);
    if (ctx_.incidents == nullptr) return;
    std::string error;
    if (!ctx_.incidents->attach(whistle_id, {"clip", r.content_type, r.path, ""}, {{"frames", r.frames}}, &error)) {
      ++c_evidence_errors_;
      rlog_.warn("attach-" + cam_.id, "camera " + cam_.id + ": clip " + r.path + " not sent: " + error);
    }
  }

  void raise(Finding& ev) {
    ev.incident.observed_at = fromUnixMillis(static_cast<int64_t>(std::llround(ev.observed_at * 1000)));
    const nlohmann::json& d = ev.incident.details;
    log_->warn("camera {}: {} ({}){}{}", cam_.id, ev.incident.type,
               ev.incident.level ? whistle::toString(*ev.incident.level) : "default level",
               d.contains("floor") ? ", floor " + d["floor"].dump() : std::string(),
               d.contains("confidence") ? ", confidence " + d["confidence"].dump() : std::string());
    ++c_whistles_;
    if (ctx_.incidents == nullptr) return;
    whistle::RaiseResult r = ctx_.incidents->raise(std::move(ev.incident));
    if (!r.ok) log_->error("camera {}: whistle not stored: {}", cam_.id, r.error);
    if (ev.clip_ticket == 0) return;
    if (r.ok) {
      bindClip(ev.clip_ticket, r.whistle_id);
    } else {
      forgetClip(ev.clip_ticket);
    }
  }

  // URL sources: read frames, reconnecting with backoff.
  void read() {
    double backoff = 1;
    while (!stoppingNow()) {
      cv::VideoCapture cap;
      try {
        // A stream that stops sending must fail a read within seconds (FFmpeg's
        // default is 30 s), so that the reader reconnects soon after the server
        // comes back.
        cap.open(cam_.analysisUrl(), cv::CAP_FFMPEG, {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, 10000, cv::CAP_PROP_READ_TIMEOUT_MSEC, 5000});
        if (!cap.isOpened()) cap.open(cam_.analysisUrl());
      } catch (const cv::Exception&) {
      }
      if (!cap.isOpened()) {
        rlog_.warn("open-" + cam_.id, "camera " + cam_.id + ": cannot open " + cam_.analysisUrl() + "; retrying in " +
                                          std::to_string(static_cast<int>(backoff)) + " s");
        sleepFor(backoff);
        backoff = std::min(backoff * 2, 30.0);
        continue;
      }
      log_->info("camera {}: reading {}", cam_.id, cam_.analysisUrl());
      backoff = 1;
      cv::Mat img;
      const double fps = cap.get(cv::CAP_PROP_FPS);
      const bool is_file = cam_.analysisUrl().find("://") == std::string::npos;
      auto next = std::chrono::steady_clock::now();
      while (!stoppingNow() && cap.read(img)) {
        if (is_file && fps > 1 && fps < 1000) {
          // Files play at their own rate, like a live camera.
          next += std::chrono::microseconds(static_cast<int64_t>(1e6 / fps));
          std::this_thread::sleep_until(next);
        }
        push({toUnixMillis(ctx_.clock.now()) / 1000.0, nullptr, img.clone()});
      }
      if (stoppingNow()) return;
      rlog_.warn("read-" + cam_.id, "camera " + cam_.id + ": stream ended or failed; reconnecting");
      sleepFor(backoff);
    }
  }

  bool stoppingNow() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

  void sleepFor(double s) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(s), [&] { return stopping_; });
  }

  ServiceContext& ctx_;
  const config::Config& cfg_;
  config::CameraConfig cam_;
  std::shared_ptr<spdlog::logger> log_;
  RateLimitedLog rlog_;
  std::shared_ptr<StreamRecorder> record_;
  CameraPipeline pipeline_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Frame> queue_;
  bool stopping_ = false;
  double last_t_ = NAN;
  std::atomic<size_t> memory_bytes_{0};
  std::atomic<uint64_t>& c_frames_;
  std::atomic<uint64_t>& c_dropped_;
  std::atomic<uint64_t>& c_bad_;
  std::atomic<uint64_t>& c_whistles_;
  std::atomic<uint64_t>& c_clips_;
  std::atomic<uint64_t>& c_evidence_errors_;
  long clips_seen_ = 0, evidence_errors_seen_ = 0;  // worker thread
  std::mutex clips_mu_;
  std::map<long, std::string> clip_whistles_;  // ticket → whistle id, clip not yet written
  std::map<long, ClipResult> clips_ready_;     // ticket → clip written before its whistle was raised
  std::set<long> forgotten_;                   // whistle not stored: drop the clip's result
  std::thread worker_, reader_;
};

class Vision : public Component {
 public:
  Vision(ServiceContext& ctx, const config::Config& cfg)
      : ctx_(ctx), vision_(cfg.vision), log_(logger("vision")), rlog_(log_) {
    // Each camera has its worker thread, and the workers are what spreads the
    // cameras over the cores. OpenCV's own thread pool would also split every
    // resize, blur and warp of every worker across the cores — which the other
    // workers already keep busy — and pay wake-ups and hand-overs for it.
    if (!cfg.cameras.empty()) cv::setNumThreads(1);
    for (const auto& c : cfg.cameras) cameras_[c.id] = std::make_unique<Camera>(ctx, cfg, c, &clips_);
    if (ctx.liveness != nullptr) ctx.liveness->watch("cameras", Liveness::camerasOf(cfg));
    prefix_ = cfg.topicPrefix() + "/in/camera/";
    ctx.inbound.add(prefix_ + "+/frame", 0, [this](const mqtt::Message& m) { onFrame(m); });
  }

  std::string name() const override { return "vision"; }

  // Cameras and their workers are built once: any change to them or to the
  // vision section takes effect after a restart (the daemon says so). The
  // workers keep reading the configuration they were built on.
  bool reconfigure(const std::shared_ptr<const config::Config>& next) override {
    if (!(next->vision == vision_) || next->cameras.size() != cameras_.size()) return false;
    for (const auto& c : next->cameras) {
      auto it = cameras_.find(c.id);
      if (it == cameras_.end() || it->second->config().yaml != c.yaml) return false;
    }
    return true;
  }

  void start() override {
    for (auto& [id, cam] : cameras_) cam->start();
  }

  void stop(std::function<void()> done) override {
    stopped_ = true;
    for (auto& [id, cam] : cameras_) cam->stop();
    // Clips already handed over are finished and attached while the whistle queue still runs.
    clips_.drain();
    done();
  }

  nlohmann::json health() const override {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [id, cam] : cameras_) j[id] = cam->health();
    return {{"cameras", j}, {"clips_queued", clips_.queued()}};
  }

 private:
  // Paho thread: validate cheaply and queue; decoding happens on the camera's worker.
  void onFrame(const mqtt::Message& m) {
    const std::string id = m.topic.substr(prefix_.size(), m.topic.size() - prefix_.size() - 6);
    auto it = cameras_.find(id);
    if (it == cameras_.end() || it->second->config().source != "mqtt") {
      ctx_.counters.add("vision.unknown_camera_frames");
      rlog_.warn("unknown-" + id, "frame for camera '" + id + "', which is not an MQTT camera in cameras:");
      return;
    }
    Camera& cam = *it->second;
    if (m.payload.size() < 4 || m.payload.size() > kMaxFrameBytes ||
        static_cast<unsigned char>(m.payload[0]) != 0xFF || static_cast<unsigned char>(m.payload[1]) != 0xD8) {
      cam.badFrame("payload is not a JPEG image (" + std::to_string(m.payload.size()) + " bytes)");
      return;
    }
    const double now = toUnixMillis(ctx_.clock.now()) / 1000.0;
    double t = now;
    if (const std::string* ts = m.userProperty("ts")) {
      char* end = nullptr;
      const double v = std::strtod(ts->c_str(), &end);
      if (end != ts->c_str() && *end == '\0' && std::abs(v / 1000.0 - now) < 24 * 3600) {
        t = v / 1000.0;
      } else {
        cam.badFrame("user property ts='" + *ts + "' is not a plausible capture time in ms; arrival time used");
      }
    }
    cam.push({t, std::make_shared<const std::string>(m.payload), {}});
  }

  ServiceContext& ctx_;
  config::VisionConfig vision_;
  std::shared_ptr<spdlog::logger> log_;
  RateLimitedLog rlog_;
  std::map<std::string, std::unique_ptr<Camera>> cameras_;
  // Declared after the cameras: destroyed (its thread joined) before them,
  // since its jobs call back into their evidence recorders.
  ClipWriter clips_;
  std::string prefix_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<Component> createVision(ServiceContext& ctx, const config::Config& cfg) {
  if (cfg.cameras.empty()) return nullptr;
  return std::make_unique<Vision>(ctx, cfg);
}

}  // namespace shaobing::vision
