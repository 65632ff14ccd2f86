// Writing a clip: the frames of the ring between two times, as an MP4
// (H.264, what browsers play) or as an MJPEG AVI (the camera's JPEGs
// unchanged: no encoding cost), hashed once complete. Encoding a clip costs
// seconds of CPU, so the daemon hands clips to one ClipWriter thread shared by
// all cameras, at a lower scheduling priority than the camera workers:
// evidence waits, detection does not.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vision/evidence/evidence.h"
#include "vision/evidence/mp4.h"

namespace shaobing::vision {

enum class ClipFormat { kMp4, kAvi };
ClipFormat parseClipFormat(const std::string& text);  // "avi" → kAvi, anything else → kMp4
const char* contentType(ClipFormat format);
const char* extension(ClipFormat format);  // ".mp4", ".avi"

struct ClipResult {
  bool ok = false;
  std::string path;          // the file written (its extension follows the format used)
  std::string content_type;  // "video/mp4" or "video/x-msvideo"
  std::string sha256;        // hex, of the whole file
  uint64_t bytes = 0;
  int frames = 0;
  double seconds = 0;        // wall time spent writing
  std::string error;         // why not ok; or, when ok, why the fallback format was used
};

// Writes `frames` to `base` + the format's extension, and a `.sha256` sidecar.
// An MP4 that cannot be written (no H.264 encoder, a frame FFmpeg refuses)
// falls back to AVI, saying why in `error`.
ClipResult writeClip(const std::vector<EncodedFrame>& frames, const std::string& base, ClipFormat format,
                     const Mp4Options& mp4);

// A clip file just written: hashed, with its `.sha256` sidecar. Not ok when
// the file cannot be read back.
ClipResult finishClip(const std::string& path, const std::string& content_type, int frames);

class ClipWriter {
 public:
  using Done = std::function<void(const ClipResult&)>;
  using Write = std::function<ClipResult()>;

  // `nice`: added to the writer thread's scheduling niceness (Linux).
  explicit ClipWriter(size_t max_queued = 32, int nice = 10);
  ~ClipWriter();  // writes what is queued, then stops
  ClipWriter(const ClipWriter&) = delete;
  ClipWriter& operator=(const ClipWriter&) = delete;

  // Queues a clip: `write` writes it (writeClip, or a stream cut) and `done`
  // gets the result, both on the writer thread. False, without calling `done`, when `max_queued` clips wait.
  bool submit(Write write, Done done);
  // Returns once every clip submitted so far is written.
  void drain();
  size_t queued() const;

 private:
  struct Job {
    Write write;
    Done done;
  };
  void run(int nice);

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace shaobing::vision
