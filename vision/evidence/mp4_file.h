// One video stream muxed into an MP4 (moov atom first) through PATH.tmp,
// renamed to PATH once finished and removed when not. Shared by the H.264
// encoder (writeMp4) and the record stream's stream copy (PacketRing::cut).
// Internal to vision/: it speaks FFmpeg's types.
#pragma once

extern "C" {
#include <libavformat/avformat.h>
}

#include <string>

namespace shaobing::vision {

class Mp4File {
 public:
  explicit Mp4File(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {}
  ~Mp4File();
  Mp4File(const Mp4File&) = delete;
  Mp4File& operator=(const Mp4File&) = delete;

  // Sets up the muxer and its one stream; the caller then fills
  // stream()->codecpar and stream()->time_base.
  bool create(std::string* error);
  bool needsGlobalHeader() const { return (oc_->oformat->flags & AVFMT_GLOBALHEADER) != 0; }
  AVStream* stream() const { return stream_; }
  // Creates the file and writes the header (the stream's time base may change).
  bool start(std::string* error);
  // A packet already in the stream's time base.
  bool write(AVPacket* packet, std::string* error);
  // Trailer, close, rename to the final path.
  bool finish(std::string* error);

 private:
  std::string path_, tmp_;
  AVFormatContext* oc_ = nullptr;
  AVStream* stream_ = nullptr;
  bool finished_ = false;
};

}  // namespace shaobing::vision
