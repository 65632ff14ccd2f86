// See recording.h.
#include "vision/recording.h"

namespace shaobing::vision {

bool Recording::open(const std::string& path) {
  path_ = path;
  frames_read_ = 0;
  raw_ = false;
  try {
    if (cap_.open(path, cv::CAP_FFMPEG)) raw_ = cap_.set(cv::CAP_PROP_FORMAT, -1);
    if (!cap_.isOpened() && !cap_.open(path)) return false;
  } catch (const cv::Exception&) {
    return false;
  }
  const double fps = cap_.get(cv::CAP_PROP_FPS);
  fps_ = fps > 1 && fps < 1000 ? fps : 25;
  return true;
}

bool Recording::next(std::shared_ptr<const std::string>* jpeg, cv::Mat* image) {
  jpeg->reset();
  image->release();
  if (!cap_.read(frame_)) return false;
  bool is_jpeg = raw_ && frame_.rows == 1 && frame_.type() == CV_8UC1 && frame_.cols > 4 &&
                 frame_.data[0] == 0xFF && frame_.data[1] == 0xD8;
  if (raw_ && !is_jpeg && frames_read_ == 0) {
    // Not MJPEG (XVID, H.264, …): the raw packets mean nothing to a JPEG decoder;
    // read the file again, decoded.
    cap_.release();
    raw_ = false;
    try {
      if (!cap_.open(path_, cv::CAP_FFMPEG) && !cap_.open(path_)) return false;
    } catch (const cv::Exception&) {
      return false;
    }
    if (!cap_.read(frame_)) return false;
    is_jpeg = false;
  }
  ++frames_read_;
  if (is_jpeg) {
    *jpeg = std::make_shared<const std::string>(reinterpret_cast<const char*>(frame_.data),
                                                 static_cast<size_t>(frame_.cols));
  } else {
    *image = frame_;
  }
  return true;
}

}  // namespace shaobing::vision
