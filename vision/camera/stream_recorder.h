// A camera's main stream, kept for clips without decoding it, as an NVR does:
// a reader thread (FFmpeg's libavformat: RTSP over TCP, HTTP, files) puts the
// compressed packets into a ring spanning the last seconds, whole groups of
// pictures at a time; a clip is cut from the keyframe at or before its start
// and stream-copied into an MP4 (no decode, no encode: milliseconds of CPU).
// The detectors analyse a sub-stream (`detect_url`); this is `record_url`.
// Packet times are on the daemon's clock (epoch seconds): the first packet's
// arrival plus the stream's own timestamps, re-anchored when they drift.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "vision/evidence/clip_writer.h"

namespace shaobing::vision {

// Where clips come from when not from the analysed frames.
class ClipSource {
 public:
  virtual ~ClipSource() = default;
  // Capture time of the newest packet (NaN when there is none).
  virtual double newest() const = 0;
  // Takes what is needed for the clip [from, to] now (cheap: packet references)
  // and returns the job that writes it to `base` + ".mp4" later, on the clip
  // writer's thread.
  virtual std::function<ClipResult(const std::string& base)> cut(double from, double to) = 0;
};

// The packets of one stream, oldest first. Thread-safe.
class PacketRing {
 public:
  PacketRing(double span_s, size_t max_bytes);
  ~PacketRing();
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // A (re)opened stream: `codecpar` is an AVCodecParameters*, `time_base` its
  // stream's time base (num/den). Clears the ring.
  void reset(const void* codecpar, int tb_num, int tb_den);
  // An AVPacket* of that stream, captured at `t`. Packets before the first keyframe are dropped.
  void push(const void* packet, double t);

  double newest() const;
  double oldest() const;
  size_t bytes() const;
  size_t size() const;
  // See ClipSource::cut.
  std::function<ClipResult(const std::string& base)> cut(double from, double to) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct StreamRecorderStats {
  bool connected = false;
  long packets = 0;
  long connects = 0;
  long failures = 0;  // opens or reads that failed
};

class StreamRecorder final : public ClipSource {
 public:
  // `now`: the daemon's clock in epoch seconds. `warn`: problems (rate-limit them).
  StreamRecorder(std::string url, double span_s, size_t max_bytes, std::function<double()> now,
                 std::function<void(const std::string&)> warn);
  ~StreamRecorder() override;  // stops

  void start();
  void stop();

  double newest() const override { return ring_.newest(); }
  std::function<ClipResult(const std::string& base)> cut(double from, double to) override {
    return ring_.cut(from, to);
  }
  const PacketRing& ring() const { return ring_; }
  StreamRecorderStats stats() const;

 private:
  void run();
  bool stopping() const { return stopping_.load(); }
  void sleepFor(double s);

  std::string url_;
  PacketRing ring_;
  std::function<double()> now_;
  std::function<void(const std::string&)> warn_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<long> packets_{0}, connects_{0}, failures_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace shaobing::vision
