// Lazily decoded camera frames; see vision/detector.h.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/detector.h"

namespace shaobing::vision {

CameraFrame::CameraFrame(double t, std::shared_ptr<const std::string> jpeg, cv::Size full)
    : t_(t), jpeg_(std::move(jpeg)), full_(full) {}

CameraFrame::CameraFrame(double t, cv::Mat image) : t_(t), image_(std::move(image)), full_(image_.size()) {}

const cv::Mat& CameraFrame::gray(int scale) { return form(false, scale); }
const cv::Mat& CameraFrame::colour(int scale) { return form(true, scale); }

const cv::Mat& CameraFrame::form(bool colour, int scale) {
  for (const auto& f : forms_) {
    if (f.colour == colour && f.scale == scale) return f.mat;
  }
  forms_.push_back({colour, scale, {}});
  cv::Mat& out = forms_.back().mat;
  const cv::Size want(full_.width / scale, full_.height / scale);
  if (jpeg_) {
    int flag = colour ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE;
    if (scale == 2) flag = colour ? cv::IMREAD_REDUCED_COLOR_2 : cv::IMREAD_REDUCED_GRAYSCALE_2;
    if (scale == 4) flag = colour ? cv::IMREAD_REDUCED_COLOR_4 : cv::IMREAD_REDUCED_GRAYSCALE_4;
    cv::Mat decoded;
    try {
      cv::Mat buf(1, static_cast<int>(jpeg_->size()), CV_8U, const_cast<char*>(jpeg_->data()));
      decoded = cv::imdecode(buf, flag);
    } catch (const cv::Exception&) {
      decoded.release();
    }
    if (decoded.empty()) {
      error_ = "not a decodable JPEG image";
      return out;
    }
    // Reduced decoding rounds up; anything else is a frame of another size.
    if (decoded.cols < want.width || decoded.rows < want.height || decoded.cols > want.width + 1 ||
        decoded.rows > want.height + 1) {
      error_ = "frame size " + std::to_string(decoded.cols * scale) + "x" + std::to_string(decoded.rows * scale) +
               " differs from the camera's " + std::to_string(full_.width) + "x" + std::to_string(full_.height);
      return out;
    }
    out = decoded(cv::Rect(0, 0, want.width, want.height));
    return out;
  }
  if (image_.empty() || (image_.type() != CV_8UC3 && image_.type() != CV_8UC1)) {
    error_ = "empty or unsupported frame";
    return out;
  }
  cv::Mat converted;
  if (colour && image_.channels() == 1) {
    cv::cvtColor(image_, converted, cv::COLOR_GRAY2BGR);
  } else if (!colour && image_.channels() == 3) {
    cv::cvtColor(image_, converted, cv::COLOR_BGR2GRAY);
  } else {
    converted = image_;
  }
  if (converted.size() != want) {
    cv::resize(converted, out, want, 0, 0, cv::INTER_AREA);
  } else {
    out = converted;
  }
  return out;
}

}  // namespace shaobing::vision
