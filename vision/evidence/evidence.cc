// Camera incident evidence: frame ring, MJPEG AVI clip writer, annotated
// snapshot and size-based retention; see evidence.h.
#include "vision/evidence/evidence.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <utility>

namespace shaobing::vision {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// FrameRing

FrameRing::FrameRing(double span_s, size_t max_bytes) : span_s_(span_s), max_bytes_(max_bytes) {}

namespace {

size_t frameBytes(const EncodedFrame& f) {
  return f.jpeg ? f.jpeg->size() : 0;
}

}  // namespace

void FrameRing::push(EncodedFrame frame) {
  bytes_ += frameBytes(frame);
  // Frames normally arrive in time order; a late one is slotted into place so
  // the ring stays sorted by time.
  if (frames_.empty() || frame.t >= frames_.back().t) {
    frames_.push_back(std::move(frame));
  } else {
    auto at = std::upper_bound(frames_.begin(), frames_.end(), frame.t,
                               [](double t, const EncodedFrame& f) { return t < f.t; });
    frames_.insert(at, std::move(frame));
  }
  const double oldest_kept = frames_.back().t - span_s_;
  while (!frames_.empty() && (frames_.front().t < oldest_kept || bytes_ > max_bytes_)) {
    bytes_ -= frameBytes(frames_.front());
    frames_.pop_front();
  }
}

std::vector<EncodedFrame> FrameRing::between(double from, double to) const {
  std::vector<EncodedFrame> out;
  auto it = std::lower_bound(frames_.begin(), frames_.end(), from,
                             [](const EncodedFrame& f, double t) { return f.t < t; });
  for (; it != frames_.end() && it->t <= to; ++it) out.push_back(*it);
  return out;
}

EncodedFrame FrameRing::nearest(double t) const {
  if (frames_.empty()) return {};
  auto it = std::lower_bound(frames_.begin(), frames_.end(), t,
                             [](const EncodedFrame& f, double x) { return f.t < x; });
  if (it == frames_.end()) return frames_.back();
  if (it == frames_.begin()) return *it;
  auto before = std::prev(it);
  // On a tie the earlier frame wins.
  return (t - before->t <= it->t - t) ? *before : *it;
}

// ---------------------------------------------------------------------------
// MJPEG AVI

namespace {

uint16_t be16(const unsigned char* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

}  // namespace

bool jpegSize(const std::string& jpeg, cv::Size* size, std::string* error) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  const auto* d = reinterpret_cast<const unsigned char*>(jpeg.data());
  const size_t n = jpeg.size();
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) {
    *error = "not a JPEG (no start-of-image marker)";
    return false;
  }
  size_t pos = 2;
  while (pos < n) {
    if (d[pos] != 0xFF) {
      *error = "corrupt JPEG (expected a marker at byte " + std::to_string(pos) + ")";
      return false;
    }
    while (pos < n && d[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) break;
    const unsigned char marker = d[pos++];
    // Markers without a length field.
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      *error = "JPEG has no frame header before its image data";
      return false;
    }
    if (pos + 2 > n) break;
    const size_t len = be16(d + pos);
    if (len < 2 || pos + len > n) {
      *error = "corrupt JPEG (segment length out of range at byte " + std::to_string(pos) + ")";
      return false;
    }
    if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
      // Length, precision, height, width.
      if (len < 7) {
        *error = "corrupt JPEG (short frame header)";
        return false;
      }
      size->height = be16(d + pos + 3);
      size->width = be16(d + pos + 5);
      if (size->width == 0 || size->height == 0) {
        *error = "JPEG frame header has a zero dimension";
        return false;
      }
      return true;
    }
    if ((marker >= 0xC3 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      *error = "unsupported JPEG coding (lossless, hierarchical or arithmetic)";
      return false;
    }
    pos += len;
  }
  *error = "truncated JPEG (no frame header)";
  return false;
}

namespace {

// A little-endian RIFF byte sink over a file descriptor, buffered.
class RiffWriter {
 public:
  RiffWriter(int fd, const ByteObserver& observe) : fd_(fd), observe_(observe) { buf_.reserve(kFlushAt + 1024); }
  void u16(uint32_t v) {
    for (int i = 0; i < 2; ++i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void fourcc(const char* cc) { buf_.append(cc, 4); }
  void bytes(const std::string& s) {
    buf_.append(s);
    if (buf_.size() >= kFlushAt) flush();
  }
  void zero(size_t n) { buf_.append(n, '\0'); }
  bool flush() {
    if (ok_ && observe_) observe_(buf_.data(), buf_.size());
    size_t off = 0;
    while (ok_ && off < buf_.size()) {
      ssize_t w = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok_ = false;
        errno_ = w < 0 ? errno : EIO;
        break;
      }
      off += static_cast<size_t>(w);
    }
    buf_.clear();
    return ok_;
  }
  bool ok() const { return ok_; }
  int error() const { return errno_; }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  int fd_;
  const ByteObserver& observe_;
  std::string buf_;
  bool ok_ = true;
  int errno_ = 0;
};

constexpr uint32_t kAvifHasIndex = 0x10;
constexpr uint32_t kAviifKeyframe = 0x10;
constexpr uint32_t kAvihBytes = 56;
constexpr uint32_t kStrhBytes = 56;
constexpr uint32_t kStrfBytes = 40;
constexpr uint32_t kStrlBytes = 4 + (8 + kStrhBytes) + (8 + kStrfBytes);
constexpr uint32_t kHdrlBytes = 4 + (8 + kAvihBytes) + (8 + kStrlBytes);

std::string errnoText(int e) {
  return std::strerror(e);
}

}  // namespace

double framesPerSecond(const std::vector<EncodedFrame>& frames, double fallback) {
  if (frames.size() < 2) return fallback;
  const double span = frames.back().t - frames.front().t;
  return span > 0 ? (frames.size() - 1) / span : fallback;
}

bool writeMjpegAvi(const std::string& path, const std::vector<EncodedFrame>& frames, double fps,
                   std::string* error, const ByteObserver& observe) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  error->clear();
  if (frames.empty()) {
    *error = "no frames to write";
    return false;
  }
  if (!std::isfinite(fps) || fps <= 0 || fps > 1000) {
    *error = "frame rate out of range: " + std::to_string(fps);
    return false;
  }

  // Every frame must be a JPEG of the first frame's size.
  cv::Size size;
  uint64_t movi_bytes = 4;  // 'movi'
  size_t max_frame = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!frames[i].jpeg) {
      *error = "frame " + std::to_string(i) + " has no data";
      return false;
    }
    cv::Size s;
    std::string why;
    if (!jpegSize(*frames[i].jpeg, &s, &why)) {
      *error = "frame " + std::to_string(i) + ": " + why;
      return false;
    }
    if (i == 0) {
      size = s;
    } else if (s.width != size.width || s.height != size.height) {
      *error = "frame " + std::to_string(i) + " is " + std::to_string(s.width) + "x" +
               std::to_string(s.height) + ", the clip is " + std::to_string(size.width) + "x" +
               std::to_string(size.height);
      return false;
    }
    const size_t n = frames[i].jpeg->size();
    max_frame = std::max(max_frame, n);
    movi_bytes += 8 + n + (n & 1);
  }
  const uint64_t idx_bytes = 16ull * frames.size();
  const uint64_t riff_bytes = 4 + (8 + kHdrlBytes) + (8 + movi_bytes) + (8 + idx_bytes);
  if (riff_bytes > std::numeric_limits<uint32_t>::max()) {
    *error = "clip too large for an AVI 1.0 file";
    return false;
  }

  const auto nframes = static_cast<uint32_t>(frames.size());
  const auto w = static_cast<uint32_t>(size.width);
  const auto h = static_cast<uint32_t>(size.height);
  const auto max_bytes_per_sec = static_cast<uint32_t>(std::min<double>(
      std::ceil(static_cast<double>(max_frame) * fps), std::numeric_limits<uint32_t>::max()));
  const auto buffer = static_cast<uint32_t>(max_frame + 8);

  std::error_code ec;
  const fs::path final_path(path);
  if (final_path.has_parent_path()) fs::create_directories(final_path.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot create " + tmp + ": " + errnoText(errno);
    return false;
  }

  RiffWriter out(fd, observe);
  out.fourcc("RIFF");
  out.u32(static_cast<uint32_t>(riff_bytes));
  out.fourcc("AVI ");

  out.fourcc("LIST");
  out.u32(kHdrlBytes);
  out.fourcc("hdrl");
  out.fourcc("avih");
  out.u32(kAvihBytes);
  out.u32(static_cast<uint32_t>(std::lround(1e6 / fps)));  // dwMicroSecPerFrame
  out.u32(max_bytes_per_sec);                              // dwMaxBytesPerSec
  out.u32(0);                                              // dwPaddingGranularity
  out.u32(kAvifHasIndex);                                  // dwFlags
  out.u32(nframes);                                        // dwTotalFrames
  out.u32(0);                                              // dwInitialFrames
  out.u32(1);                                              // dwStreams
  out.u32(buffer);                                         // dwSuggestedBufferSize
  out.u32(w);                                              // dwWidth
  out.u32(h);                                              // dwHeight
  out.zero(16);                                            // dwReserved[4]

  out.fourcc("LIST");
  out.u32(kStrlBytes);
  out.fourcc("strl");
  out.fourcc("strh");
  out.u32(kStrhBytes);
  out.fourcc("vids");                                       // fccType
  out.fourcc("MJPG");                                       // fccHandler
  out.u32(0);                                               // dwFlags
  out.u16(0);                                               // wPriority
  out.u16(0);                                               // wLanguage
  out.u32(0);                                               // dwInitialFrames
  out.u32(1000);                                            // dwScale
  out.u32(static_cast<uint32_t>(std::lround(fps * 1000)));  // dwRate
  out.u32(0);                                               // dwStart
  out.u32(nframes);                                         // dwLength
  out.u32(buffer);                                          // dwSuggestedBufferSize
  out.u32(0xFFFFFFFFu);                                     // dwQuality (default)
  out.u32(0);                                               // dwSampleSize
  out.u16(0);                                               // rcFrame.left
  out.u16(0);                                               // rcFrame.top
  out.u16(w);                                               // rcFrame.right
  out.u16(h);                                               // rcFrame.bottom
  out.fourcc("strf");
  out.u32(kStrfBytes);
  out.u32(kStrfBytes);  // biSize
  out.u32(w);           // biWidth
  out.u32(h);           // biHeight
  out.u16(1);           // biPlanes
  out.u16(24);          // biBitCount
  out.fourcc("MJPG");   // biCompression
  out.u32(static_cast<uint32_t>(
      std::min<uint64_t>(uint64_t{w} * h * 3, std::numeric_limits<uint32_t>::max())));
  out.u32(0);  // biXPelsPerMeter
  out.u32(0);  // biYPelsPerMeter
  out.u32(0);  // biClrUsed
  out.u32(0);  // biClrImportant

  out.fourcc("LIST");
  out.u32(static_cast<uint32_t>(movi_bytes));
  out.fourcc("movi");
  for (const auto& f : frames) {
    const std::string& data = *f.jpeg;
    out.fourcc("00dc");
    out.u32(static_cast<uint32_t>(data.size()));
    out.bytes(data);
    if (data.size() & 1) out.zero(1);
  }

  // Index offsets count from the 'movi' fourcc.
  out.fourcc("idx1");
  out.u32(static_cast<uint32_t>(idx_bytes));
  uint32_t offset = 4;
  for (const auto& f : frames) {
    const auto n = static_cast<uint32_t>(f.jpeg->size());
    out.fourcc("00dc");
    out.u32(kAviifKeyframe);
    out.u32(offset);
    out.u32(n);
    offset += 8 + n + (n & 1);
  }

  bool ok = out.flush();
  int err = out.error();
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = errno;
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    *error = "cannot write " + tmp + ": " + errnoText(err);
    fs::remove(tmp, ec);
    return false;
  }
  fs::rename(tmp, final_path, ec);
  if (ec) {
    *error = "cannot rename " + tmp + " to " + path + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  // Make the rename itself durable (best effort).
  const fs::path dir = final_path.has_parent_path() ? final_path.parent_path() : fs::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Snapshot

namespace {

// Drawing uses 4 fractional bits so sub-pixel positions are kept.
constexpr int kShift = 4;
constexpr double kOne = 1 << kShift;

bool drawable(const cv::Point2d& p) {
  constexpr double kLimit = 1e6;  // far outside any frame; keeps fixed point in range
  return std::isfinite(p.x) && std::isfinite(p.y) && std::abs(p.x) < kLimit &&
         std::abs(p.y) < kLimit;
}

cv::Point fixedPoint(const cv::Point2d& p) {
  return {cvRound(p.x * kOne), cvRound(p.y * kOne)};
}

std::vector<cv::Point> fixedPoints(const std::vector<cv::Point2d>& pts) {
  std::vector<cv::Point> out;
  out.reserve(pts.size());
  for (const auto& p : pts) {
    if (drawable(p)) out.push_back(fixedPoint(p));
  }
  return out;
}

// A dashed polyline; the dash pattern carries on across vertices.
void dashedPolyline(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& color,
                    int thickness, double dash, double gap) {
  double phase = 0;  // distance into the current dash+gap period
  const double period = dash + gap;
  for (size_t i = 1; i < pts.size(); ++i) {
    const cv::Point2d a = pts[i - 1], b = pts[i];
    if (!drawable(a) || !drawable(b)) continue;
    const double len = cv::norm(b - a);
    if (len <= 0) continue;
    const cv::Point2d dir = (b - a) / len;
    double s = 0;
    while (s < len) {
      const bool on = phase < dash;
      const double step = std::min(len - s, on ? dash - phase : period - phase);
      if (on) {
        cv::line(img, fixedPoint(a + dir * s), fixedPoint(a + dir * (s + step)), color, thickness,
                 cv::LINE_AA, kShift);
      }
      s += step;
      phase += step;
      if (phase >= period) phase -= period;
    }
  }
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void drawLabel(cv::Mat& img, const std::string& label, double scale) {
  const std::vector<std::string> lines = splitLines(label);
  if (lines.empty()) return;
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const double font_scale = 0.6 * scale;
  const int thickness = std::max(1, static_cast<int>(std::lround(scale)));
  const int pad = std::max(4, static_cast<int>(std::lround(6 * scale)));
  int width = 0, line_height = 0, baseline = 0;
  for (const auto& line : lines) {
    const cv::Size s =
        cv::getTextSize(line.empty() ? " " : line, font, font_scale, thickness, &baseline);
    width = std::max(width, s.width);
    line_height = std::max(line_height, s.height + baseline);
  }
  const int gap = pad / 2;
  const int box_h = pad * 2 + static_cast<int>(lines.size()) * line_height +
                    static_cast<int>(lines.size() - 1) * gap;
  cv::rectangle(img, cv::Rect(0, 0, width + 2 * pad, box_h), cv::Scalar(24, 24, 24), cv::FILLED);
  int y = pad;
  for (const auto& line : lines) {
    cv::putText(img, line, cv::Point(pad, y + line_height - baseline), font, font_scale,
                cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
    y += line_height + gap;
  }
}

}  // namespace

std::string drawSnapshot(const std::string& jpeg, const SnapshotOverlay& overlay, int quality) {
  if (jpeg.empty()) return {};
  cv::Mat img;
  try {
    const cv::Mat raw(1, static_cast<int>(jpeg.size()), CV_8UC1, const_cast<char*>(jpeg.data()));
    img = cv::imdecode(raw, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    return {};
  }
  if (img.empty()) return {};

  // Line widths and marks grow with the frame so they read the same at any resolution.
  const double scale = std::max(1.0, std::min(img.cols, img.rows) / 480.0);
  const int thin = std::max(1, static_cast<int>(std::lround(scale)));
  const int thick = std::max(2, static_cast<int>(std::lround(2 * scale)));
  const cv::Scalar red(0, 0, 255), yellow(0, 255, 255), cyan(255, 255, 0), magenta(255, 0, 255);

  if (overlay.floor_band.size() >= 2) {
    const std::vector<std::vector<cv::Point>> band{fixedPoints(overlay.floor_band)};
    cv::polylines(img, band, true, cyan, thick, cv::LINE_AA, kShift);
  }

  dashedPolyline(img, overlay.fitted, yellow, thin, 10 * scale, 6 * scale);

  std::vector<cv::Point2d> observed;
  observed.reserve(overlay.observed.size());
  for (const auto& p : overlay.observed) observed.push_back(p.px);
  const std::vector<cv::Point> track = fixedPoints(observed);
  if (track.size() >= 2) {
    cv::polylines(img, std::vector<std::vector<cv::Point>>{track}, false, red, thin, cv::LINE_AA,
                  kShift);
  }
  const int dot = static_cast<int>(std::lround(4 * scale * kOne));
  for (const auto& p : track) cv::circle(img, p, dot, red, cv::FILLED, cv::LINE_AA, kShift);

  if (drawable(overlay.origin)) {
    const double arm = 10 * scale;
    const cv::Point2d o = overlay.origin;
    cv::line(img, fixedPoint(o + cv::Point2d(-arm, 0)), fixedPoint(o + cv::Point2d(arm, 0)),
             magenta, thick, cv::LINE_AA, kShift);
    cv::line(img, fixedPoint(o + cv::Point2d(0, -arm)), fixedPoint(o + cv::Point2d(0, arm)),
             magenta, thick, cv::LINE_AA, kShift);
    cv::circle(img, fixedPoint(o), static_cast<int>(std::lround(arm * 0.7 * kOne)), magenta, thin,
               cv::LINE_AA, kShift);
  }

  drawLabel(img, overlay.label, scale);

  std::vector<uchar> out;
  const int q = std::clamp(quality, 1, 100);
  try {
    if (!cv::imencode(".jpg", img, out, {cv::IMWRITE_JPEG_QUALITY, q})) return {};
  } catch (const cv::Exception&) {
    return {};
  }
  return std::string(out.begin(), out.end());
}

// ---------------------------------------------------------------------------
// Retention

uint64_t enforceRetention(const std::string& dir, uint64_t max_bytes) {
  struct File {
    fs::path path;
    fs::file_time_type mtime;
    uint64_t size;
  };
  uint64_t deleted = 0;
  try {
    std::vector<File> files;
    uint64_t total = 0;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code fec;
      // Symbolic links are neither followed nor counted.
      if (it->symlink_status(fec).type() != fs::file_type::regular) continue;
      const uint64_t size = it->file_size(fec);
      if (fec) continue;
      const fs::file_time_type mtime = it->last_write_time(fec);
      if (fec) continue;
      files.push_back({it->path(), mtime, size});
      total += size;
    }
    if (total <= max_bytes) return 0;
    std::sort(files.begin(), files.end(), [](const File& a, const File& b) {
      return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
    });
    for (const auto& f : files) {
      if (total <= max_bytes) break;
      std::error_code rec;
      if (fs::remove(f.path, rec) && !rec) {
        total -= f.size;
        deleted += f.size;
      }
    }
  } catch (const std::exception&) {
    // Retention is best effort; whatever was deleted so far is reported.
  }
  return deleted;
}

}  // namespace shaobing::vision
