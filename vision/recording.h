// A recorded video read frame by frame. MJPEG recordings yield their stored
// JPEG frames unchanged — the same bytes and decode path as frames arriving
// over MQTT; other codecs yield decoded frames.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include <memory>
#include <string>

namespace shaobing::vision {

class Recording {
 public:
  // False when the file cannot be opened as a video.
  bool open(const std::string& path);
  // Frames per second as the file says, 25 when it says nothing plausible.
  double fps() const { return fps_; }
  // The next frame: sets exactly one of `jpeg` (encoded frame) and `image`
  // (decoded BGR). False at the end.
  bool next(std::shared_ptr<const std::string>* jpeg, cv::Mat* image);

 private:
  cv::VideoCapture cap_;
  std::string path_;
  long frames_read_ = 0;
  bool raw_ = false;
  double fps_ = 25;
  cv::Mat frame_;
};

}  // namespace shaobing::vision
