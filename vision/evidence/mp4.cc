// See mp4.h.
#include "vision/evidence/mp4.h"

#include "vision/evidence/mp4_file.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

namespace shaobing::vision {
namespace {

// FFmpeg logs to stderr at "info" by default (x264 prints its statistics
// per clip); the daemon's log has what matters.
void quietFfmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

const AVCodec* findH264Encoder() {
  for (const char* name : {"libx264", "libopenh264"}) {
    if (const AVCodec* c = avcodec_find_encoder_by_name(name)) return c;
  }
  return nullptr;
}

struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

class Encoder {
 public:
  bool open(const std::string& path, cv::Size size, double fps, const Mp4Options& o, std::string* error) {
    const AVCodec* codec = findH264Encoder();
    if (codec == nullptr) return fail(error, "this FFmpeg has no H.264 encoder (libx264 or libopenh264)");
    file_ = std::make_unique<Mp4File>(path);
    if (!file_->create(error)) return false;
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) return fail(error, "out of memory setting up the encoder");
    size_ = size;
    ctx_->width = size.width;
    ctx_->height = size.height;
    ctx_->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx_->time_base = AVRational{1, 1000};
    const int rate = std::max(1, static_cast<int>(std::lround(fps)));
    ctx_->framerate = AVRational{rate, 1};
    ctx_->gop_size = rate * 2;
    ctx_->max_b_frames = 0;
    ctx_->thread_count = std::max(1, o.threads);
    if (file_->needsGlobalHeader()) ctx_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (std::string(codec->name) == "libx264") {
      av_opt_set(ctx_->priv_data, "preset", o.preset.c_str(), 0);
      av_opt_set(ctx_->priv_data, "crf", std::to_string(o.crf).c_str(), 0);
      av_opt_set(ctx_->priv_data, "profile", "main", 0);
    } else {
      ctx_->bit_rate = static_cast<int64_t>(size.area()) * 2;  // about 1.8 Mbit/s at 720p
    }
    int rc = avcodec_open2(ctx_.get(), codec, nullptr);
    if (rc < 0) return fail(error, std::string("cannot open ") + codec->name + ": " + ffmpegError(rc));
    if ((rc = avcodec_parameters_from_context(file_->stream()->codecpar, ctx_.get())) < 0)
      return fail(error, "cannot describe the stream: " + ffmpegError(rc));
    file_->stream()->time_base = ctx_->time_base;
    if (!file_->start(error)) return false;
    frame_.reset(av_frame_alloc());
    packet_.reset(av_packet_alloc());
    if (!frame_ || !packet_) return fail(error, "out of memory setting up the encoder");
    frame_->format = ctx_->pix_fmt;
    frame_->width = size.width;
    frame_->height = size.height;
    if ((rc = av_frame_get_buffer(frame_.get(), 0)) < 0) return fail(error, "cannot allocate a frame: " + ffmpegError(rc));
    return true;
  }

  // `bgr` of the clip's size; `pts_ms` strictly increasing; `duration_ms` until
  // the next frame (the MP4 gives the last frame this duration; without it
  // players drop that frame).
  bool add(const cv::Mat& bgr, int64_t pts_ms, int64_t duration_ms, std::string* error) {
    durations_[pts_ms] = duration_ms;
    int rc = av_frame_make_writable(frame_.get());
    if (rc < 0) return fail(error, "frame not writable: " + ffmpegError(rc));
    sws_.reset(sws_getCachedContext(sws_.release(), bgr.cols, bgr.rows, AV_PIX_FMT_BGR24, size_.width,
                                    size_.height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr));
    if (!sws_) return fail(error, "cannot set up colour conversion");
    const uint8_t* src[1] = {bgr.data};
    const int stride[1] = {static_cast<int>(bgr.step[0])};
    sws_scale(sws_.get(), src, stride, 0, bgr.rows, frame_->data, frame_->linesize);
    frame_->pts = pts_ms;
    if ((rc = avcodec_send_frame(ctx_.get(), frame_.get())) < 0) return fail(error, "encoder refused a frame: " + ffmpegError(rc));
    return drain(error);
  }

  bool finish(std::string* error) {
    int rc = avcodec_send_frame(ctx_.get(), nullptr);
    if (rc < 0) return fail(error, "cannot flush the encoder: " + ffmpegError(rc));
    return drain(error) && file_->finish(error);
  }

 private:
  bool drain(std::string* error) {
    for (;;) {
      int rc = avcodec_receive_packet(ctx_.get(), packet_.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
      if (rc < 0) return fail(error, "encoder failed: " + ffmpegError(rc));
      auto d = durations_.find(packet_->pts);
      if (d != durations_.end()) {
        packet_->duration = d->second;
        durations_.erase(d);
      }
      av_packet_rescale_ts(packet_.get(), ctx_->time_base, file_->stream()->time_base);
      if (!file_->write(packet_.get(), error)) return false;
    }
  }

  static bool fail(std::string* error, std::string why) {
    *error = std::move(why);
    return false;
  }

  std::unique_ptr<Mp4File> file_;
  std::unique_ptr<AVCodecContext, CodecDeleter> ctx_;
  std::unique_ptr<AVFrame, FrameDeleter> frame_;
  std::unique_ptr<AVPacket, PacketDeleter> packet_;
  std::unique_ptr<SwsContext, SwsDeleter> sws_;
  cv::Size size_;
  std::map<int64_t, int64_t> durations_;  // pts → duration (ms) of frames sent, not yet out
};

cv::Mat decode(const EncodedFrame& f) {
  if (!f.jpeg || f.jpeg->empty()) return {};
  try {
    return cv::imdecode(cv::Mat(1, static_cast<int>(f.jpeg->size()), CV_8UC1, const_cast<char*>(f.jpeg->data())),
                        cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    return {};
  }
}

}  // namespace

std::string ffmpegError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

std::string h264EncoderName() {
  const AVCodec* c = findH264Encoder();
  return c ? c->name : "";
}

bool writeMp4(const std::string& path, const std::vector<EncodedFrame>& frames, const Mp4Options& options,
              std::string* error) {
  quietFfmpeg();
  std::string scratch;
  if (error == nullptr) error = &scratch;
  error->clear();
  if (frames.empty()) {
    *error = "no frames to write";
    return false;
  }
  Encoder enc;
  bool opened = false;
  cv::Size size;
  double t0 = 0;
  int64_t last_pts = -1;
  for (size_t i = 0; i < frames.size(); ++i) {
    const EncodedFrame& f = frames[i];
    cv::Mat img = decode(f);
    if (img.empty()) continue;
    if (!opened) {
      // H.264 in 4:2:0 needs even sides.
      double scale = img.cols > options.max_width ? static_cast<double>(options.max_width) / img.cols : 1.0;
      size = cv::Size(static_cast<int>(img.cols * scale) & ~1, static_cast<int>(img.rows * scale) & ~1);
      if (size.width < 2 || size.height < 2) {
        *error = "frames too small to encode";
        return false;
      }
      if (!enc.open(path, size, framesPerSecond(frames, 25), options, error)) return false;
      opened = true;
      t0 = f.t;
    }
    if (img.size() != size) cv::resize(img, img, size, 0, 0, cv::INTER_AREA);
    int64_t pts = std::llround((f.t - t0) * 1000.0);
    if (pts <= last_pts) pts = last_pts + 1;
    // Until the next frame in the ring (decodable or not); the last one lasts
    // as long as the one before it.
    int64_t duration = i + 1 < frames.size() ? std::llround((frames[i + 1].t - t0) * 1000.0) - pts
                                             : (last_pts >= 0 ? pts - last_pts : 40);
    if (duration < 1) duration = 1;
    last_pts = pts;
    if (!enc.add(img, pts, duration, error)) break;
  }
  if (!opened) {
    *error = "none of the " + std::to_string(frames.size()) + " frames could be decoded";
    return false;
  }
  return error->empty() && enc.finish(error);
}

Mp4File::~Mp4File() {
  if (oc_ != nullptr) {
    if (oc_->pb != nullptr) avio_closep(&oc_->pb);
    avformat_free_context(oc_);
  }
  if (!finished_) {
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

bool Mp4File::create(std::string* error) {
  int rc = avformat_alloc_output_context2(&oc_, nullptr, "mp4", tmp_.c_str());
  if (rc < 0 || oc_ == nullptr) {
    *error = "cannot set up an MP4 muxer: " + ffmpegError(rc);
    return false;
  }
  stream_ = avformat_new_stream(oc_, nullptr);
  if (stream_ == nullptr) {
    *error = "out of memory setting up the MP4 muxer";
    return false;
  }
  return true;
}

bool Mp4File::start(std::string* error) {
  int rc = avio_open(&oc_->pb, tmp_.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) {
    *error = "cannot create " + tmp_ + ": " + ffmpegError(rc);
    return false;
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "+faststart", 0);
  rc = avformat_write_header(oc_, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    *error = "the MP4 muxer refuses this stream (" + std::string(avcodec_get_name(stream_->codecpar->codec_id)) +
             "): " + ffmpegError(rc);
    return false;
  }
  return true;
}

bool Mp4File::write(AVPacket* packet, std::string* error) {
  packet->stream_index = stream_->index;
  const int rc = av_interleaved_write_frame(oc_, packet);
  if (rc < 0) {
    *error = "cannot write to the MP4: " + ffmpegError(rc);
    return false;
  }
  return true;
}

bool Mp4File::finish(std::string* error) {
  int rc = av_write_trailer(oc_);
  if (rc >= 0) rc = avio_closep(&oc_->pb);
  if (rc < 0) {
    *error = "cannot finish the MP4: " + ffmpegError(rc);
    return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) {
    *error = "cannot rename " + tmp_ + ": " + ec.message();
    return false;
  }
  finished_ = true;
  return true;
}

}  // namespace shaobing::vision
