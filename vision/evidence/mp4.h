// Clips a browser plays: JPEG frames decoded and encoded as H.264 in an MP4
// (moov atom first, so playback starts before the whole file is fetched)
// through FFmpeg's libraries. The encoder is libx264 when FFmpeg has it,
// else libopenh264; without either, writing fails and says so.
#pragma once

#include <string>
#include <vector>

#include "vision/evidence/evidence.h"

namespace shaobing::vision {

struct Mp4Options {
  int crf = 27;                        // x264 constant quality (lower is better and bigger)
  std::string preset = "veryfast";     // x264 speed/size trade-off
  int threads = 1;                     // encoder threads (evidence must not starve detection)
  int max_width = 1920;                // larger frames are scaled down (aspect kept)
};

// FFmpeg's message for one of its error codes.
std::string ffmpegError(int code);

// The H.264 encoder this FFmpeg build offers ("libx264", "libopenh264"), or
// empty when it offers none.
std::string h264EncoderName();

// Writes `frames` (JPEG, capture times in seconds) as PATH (through
// PATH.tmp, renamed when complete). Frame times become presentation times
// in milliseconds, so the clip plays at the camera's real pace. Frames that
// fail to decode are skipped; frames of another size are scaled to the
// first one's. Returns false with `error` set when nothing playable was written.
bool writeMp4(const std::string& path, const std::vector<EncodedFrame>& frames, const Mp4Options& options,
              std::string* error);

}  // namespace shaobing::vision
