// See stream_recorder.h.
#include "vision/camera/stream_recorder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <vector>

#include "vision/evidence/mp4.h"
#include "vision/evidence/mp4_file.h"

namespace shaobing::vision {
namespace {

struct PacketRef {
  double t = 0;
  std::shared_ptr<AVPacket> pkt;
  long segment = 0;  // connection it came from: timestamps restart with each
};

bool sameStream(const AVCodecParameters* a, const AVCodecParameters* b) {
  return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height &&
         a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 || std::memcmp(a->extradata, b->extradata, static_cast<size_t>(a->extradata_size)) == 0);
}

std::shared_ptr<AVPacket> clonePacket(const AVPacket* src) {
  AVPacket* p = av_packet_clone(src);
  if (p == nullptr) return nullptr;
  return std::shared_ptr<AVPacket>(p, [](AVPacket* q) { av_packet_free(&q); });
}

std::shared_ptr<AVCodecParameters> copyParameters(const AVCodecParameters* src) {
  AVCodecParameters* p = avcodec_parameters_alloc();
  if (p == nullptr) return nullptr;
  if (avcodec_parameters_copy(p, src) < 0) {
    avcodec_parameters_free(&p);
    return nullptr;
  }
  return std::shared_ptr<AVCodecParameters>(p, [](AVCodecParameters* q) { avcodec_parameters_free(&q); });
}

// Stream-copies `packets` (starting on a keyframe) into PATH as an MP4.
bool remuxMp4(const std::string& path, const AVCodecParameters* par, AVRational tb, const std::vector<PacketRef>& packets,
              std::string* error) {
  Mp4File file(path);
  if (!file.create(error)) return false;
  AVStream* st = file.stream();
  if (avcodec_parameters_copy(st->codecpar, par) < 0) {
    *error = "cannot describe the stream";
    return false;
  }
  st->codecpar->codec_tag = 0;
  st->time_base = tb;
  if (!file.start(error)) return false;
  // Within a connection the stream's own timestamps hold (B-frames included);
  // a reconnection restarts them, so each segment is placed by its capture time.
  int64_t offset = 0, last_dts = AV_NOPTS_VALUE;
  long segment = -1;
  const double t0 = packets.empty() ? 0 : packets.front().t;
  for (const PacketRef& ref : packets) {
    AVPacket* p = av_packet_clone(ref.pkt.get());
    if (p == nullptr) continue;
    if (p->pts == AV_NOPTS_VALUE) p->pts = p->dts;
    if (p->dts == AV_NOPTS_VALUE) p->dts = p->pts;
    if (p->dts == AV_NOPTS_VALUE) {
      av_packet_free(&p);
      continue;
    }
    if (ref.segment != segment) {
      segment = ref.segment;
      offset = std::llround((ref.t - t0) / av_q2d(tb)) - p->dts;
    }
    p->pts += offset;
    p->dts += offset;
    if (last_dts != AV_NOPTS_VALUE && p->dts <= last_dts) p->dts = last_dts + 1;
    if (p->pts < p->dts) p->pts = p->dts;
    last_dts = p->dts;
    p->pos = -1;
    av_packet_rescale_ts(p, tb, st->time_base);
    const bool written = file.write(p, error);
    av_packet_free(&p);
    if (!written) return false;
  }
  return file.finish(error);
}

}  // namespace

struct PacketRing::Impl {
  double span_s;
  size_t max_bytes;
  mutable std::mutex mu;
  std::shared_ptr<AVCodecParameters> par;
  AVRational tb{1, 90000};
  std::deque<PacketRef> packets;  // starts on a keyframe
  size_t bytes = 0;
  long segment = 0;
  bool awaiting_key = true;  // a new segment starts on a keyframe

  bool keyAt(size_t i) const { return (packets[i].pkt->flags & AV_PKT_FLAG_KEY) != 0; }

  // Drops whole groups of pictures from the front while the next group still
  // starts before the span, and while over the byte budget.
  void trim() {
    const double newest = packets.empty() ? 0 : packets.back().t;
    for (;;) {
      size_t next_key = 0;
      for (size_t i = 1; i < packets.size(); ++i) {
        if (keyAt(i)) {
          next_key = i;
          break;
        }
      }
      if (next_key == 0) return;
      const bool old = packets[next_key].t <= newest - span_s;
      if (!old && bytes <= max_bytes) return;
      for (size_t i = 0; i < next_key; ++i) {
        bytes -= static_cast<size_t>(packets.front().pkt->size);
        packets.pop_front();
      }
    }
  }
};

PacketRing::PacketRing(double span_s, size_t max_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->span_s = span_s;
  impl_->max_bytes = max_bytes;
}

PacketRing::~PacketRing() = default;

void PacketRing::reset(const void* codecpar, int tb_num, int tb_den) {
  const auto* par = static_cast<const AVCodecParameters*>(codecpar);
  std::lock_guard<std::mutex> lock(impl_->mu);
  ++impl_->segment;
  impl_->awaiting_key = true;
  // The same stream again (a reconnection): what was recorded before still
  // belongs in clips. Anything else starts afresh.
  const AVRational tb{tb_num, tb_den};
  if (impl_->par && sameStream(impl_->par.get(), par) && av_cmp_q(impl_->tb, tb) == 0) return;
  impl_->par = copyParameters(par);
  impl_->tb = tb;
  impl_->packets.clear();
  impl_->bytes = 0;
}

void PacketRing::push(const void* packet, double t) {
  const auto* src = static_cast<const AVPacket*>(packet);
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->par) return;
  if (impl_->awaiting_key && !(src->flags & AV_PKT_FLAG_KEY)) return;
  impl_->awaiting_key = false;
  auto p = clonePacket(src);
  if (!p) return;
  impl_->bytes += static_cast<size_t>(p->size);
  impl_->packets.push_back({t, std::move(p), impl_->segment});
  impl_->trim();
}

double PacketRing::newest() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->packets.empty() ? NAN : impl_->packets.back().t;
}

double PacketRing::oldest() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->packets.empty() ? NAN : impl_->packets.front().t;
}

size_t PacketRing::bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bytes;
}

size_t PacketRing::size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->packets.size();
}

std::function<ClipResult(const std::string& base)> PacketRing::cut(double from, double to) const {
  std::vector<PacketRef> picked;
  std::shared_ptr<AVCodecParameters> par;
  AVRational tb;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    par = impl_->par;
    tb = impl_->tb;
    const auto& q = impl_->packets;
    // The last keyframe at or before `from` (else the first one there is).
    size_t start = q.size();
    for (size_t i = 0; i < q.size() && q[i].t <= from; ++i) {
      if (impl_->keyAt(i)) start = i;
    }
    if (start == q.size()) {
      for (size_t i = 0; i < q.size(); ++i) {
        if (impl_->keyAt(i) && q[i].t <= to) {
          start = i;
          break;
        }
      }
    }
    for (size_t i = start; i < q.size() && q[i].t <= to; ++i) picked.push_back(q[i]);
  }
  return [picked = std::move(picked), par, tb](const std::string& base) {
    const auto started = std::chrono::steady_clock::now();
    ClipResult r;
    r.path = base + ".mp4";
    r.frames = static_cast<int>(picked.size());
    if (picked.empty() || !par) {
      r.error = "no packets of the record stream for the clip";
    } else if (remuxMp4(r.path, par.get(), tb, picked, &r.error)) {
      r = finishClip(r.path, "video/mp4", r.frames);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return r;
  };
}

// ---------------------------------------------------------------------------

namespace {

struct Interrupt {
  std::chrono::steady_clock::time_point deadline;
  const std::atomic<bool>* stop = nullptr;
  void arm(double seconds) {
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  static int check(void* opaque) {
    auto* self = static_cast<Interrupt*>(opaque);
    return (self->stop->load() || std::chrono::steady_clock::now() > self->deadline) ? 1 : 0;
  }
};

}  // namespace

StreamRecorder::StreamRecorder(std::string url, double span_s, size_t max_bytes, std::function<double()> now,
                               std::function<void(const std::string&)> warn)
    : url_(std::move(url)), ring_(span_s, max_bytes), now_(std::move(now)), warn_(std::move(warn)) {}

StreamRecorder::~StreamRecorder() { stop(); }

void StreamRecorder::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void StreamRecorder::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StreamRecorderStats StreamRecorder::stats() const {
  StreamRecorderStats s;
  s.connected = connected_.load();
  s.packets = packets_.load();
  s.connects = connects_.load();
  s.failures = failures_.load();
  return s;
}

void StreamRecorder::sleepFor(double s) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(s), [&] { return stopping_.load(); });
}

void StreamRecorder::run() {
  double backoff = 1;
  Interrupt interrupt;
  interrupt.stop = &stopping_;
  while (!stopping()) {
    AVFormatContext* ic = avformat_alloc_context();
    if (ic == nullptr) return;
    ic->interrupt_callback = {&Interrupt::check, &interrupt};
    AVDictionary* opts = nullptr;
    if (url_.rfind("rtsp://", 0) == 0) av_dict_set(&opts, "rtsp_transport", "tcp", 0);
    interrupt.arm(10);
    int rc = avformat_open_input(&ic, url_.c_str(), nullptr, &opts);
    av_dict_free(&opts);
    int video = -1;
    if (rc >= 0) {
      interrupt.arm(10);
      rc = avformat_find_stream_info(ic, nullptr);
      if (rc >= 0) video = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
      if (rc >= 0 && video < 0) rc = video;
    }
    if (rc < 0) {
      if (ic != nullptr) avformat_close_input(&ic);
      if (stopping()) return;
      ++failures_;
      warn_("record stream " + url_ + ": cannot open (" + ffmpegError(rc) + "); retrying in " +
            std::to_string(static_cast<int>(backoff)) + " s");
      sleepFor(backoff);
      backoff = std::min(backoff * 2, 30.0);
      continue;
    }
    backoff = 1;
    ++connects_;
    connected_ = true;
    AVStream* st = ic->streams[video];
    ring_.reset(st->codecpar, st->time_base.num, st->time_base.den);
    const double tb = av_q2d(st->time_base);
    double anchor_t = NAN;
    int64_t anchor_pts = 0;
    // A file plays at its own pace, like a live camera.
    const bool is_file = url_.find("://") == std::string::npos;
    const auto opened = std::chrono::steady_clock::now();
    int64_t first_ts = AV_NOPTS_VALUE;
    AVPacket* pkt = av_packet_alloc();
    for (;;) {
      interrupt.arm(5);
      rc = av_read_frame(ic, pkt);
      if (rc < 0) break;
      if (pkt->stream_index == video) {
        const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if (is_file && ts != AV_NOPTS_VALUE) {
          if (first_ts == AV_NOPTS_VALUE) first_ts = ts;
          const auto due = opened + std::chrono::microseconds(static_cast<int64_t>((ts - first_ts) * tb * 1e6));
          std::unique_lock<std::mutex> lock(mu_);
          cv_.wait_until(lock, due, [&] { return stopping_.load(); });
          if (stopping_) break;
        }
        const double now = now_();
        double t = now;
        if (ts != AV_NOPTS_VALUE) {
          if (std::isnan(anchor_t) || std::abs(anchor_t + (ts - anchor_pts) * tb - now) > 2.0) {
            anchor_t = now;
            anchor_pts = ts;
          }
          t = anchor_t + (ts - anchor_pts) * tb;
        }
        ring_.push(pkt, t);
        ++packets_;
      }
      av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    connected_ = false;
    if (stopping()) return;
    ++failures_;
    warn_("record stream " + url_ + ": " + (rc == AVERROR_EOF ? std::string("ended") : ffmpegError(rc)) + "; reconnecting");
    sleepFor(backoff);
  }
}

}  // namespace shaobing::vision
