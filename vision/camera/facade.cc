// Facade homography from the installer's four correspondences.
#include "vision/camera/facade.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace shaobing::vision {
namespace {

cv::Point2d apply(const cv::Matx33d& h, cv::Point2d p) {
  cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1.0);
  if (std::abs(v[2]) < 1e-12) return {NAN, NAN};
  return {v[0] / v[2], v[1] / v[2]};
}

}  // namespace

Facade::Facade(const config::FacadeCalibration& calibration, const config::Polygon& detect_area, double column_width_m,
               double column_origin_m)
    : floors_(std::max(1, calibration.floors)),
      floor_height_m_(calibration.floor_height_m),
      column_width_m_(column_width_m),
      column_origin_m_(column_origin_m) {
  std::vector<cv::Point2f> img, fac;
  for (int i = 0; i < 4; ++i) {
    img.emplace_back(static_cast<float>(calibration.image_points[i].first),
                     static_cast<float>(calibration.image_points[i].second));
    fac.emplace_back(static_cast<float>(calibration.facade_points_m[i].first),
                     static_cast<float>(calibration.facade_points_m[i].second));
  }
  cv::Mat h = cv::getPerspectiveTransform(fac, img, cv::DECOMP_SVD);
  to_image_ = cv::Matx33d(h);
  to_facade_ = to_image_.inv();
  x_min_ = x_max_ = fac[0].x;
  for (const auto& p : fac) {
    x_min_ = std::min<double>(x_min_, p.x);
    x_max_ = std::max<double>(x_max_, p.x);
  }
  if (!detect_area.empty()) {
    for (const auto& p : detect_area) detect_area_.emplace_back(p.first, p.second);
  } else {
    const double top = roofHeight() + floor_height_m_;
    for (cv::Point2d f : {cv::Point2d(x_min_, 0), cv::Point2d(x_max_, 0), cv::Point2d(x_max_, top),
                          cv::Point2d(x_min_, top)}) {
      detect_area_.push_back(toImage(f));
    }
  }
}

cv::Point2d Facade::toFacade(cv::Point2d pixel) const { return apply(to_facade_, pixel); }
cv::Point2d Facade::toImage(cv::Point2d facade_m) const { return apply(to_image_, facade_m); }

double Facade::pixelsPerMetre(cv::Point2d f) const {
  const cv::Point2d c = toImage(f);
  const double dx = cv::norm(toImage({f.x + 0.5, f.y}) - c) * 2;
  const double dz = cv::norm(toImage({f.x, f.y + 0.5}) - c) * 2;
  return (dx + dz) / 2;
}

int Facade::floorAt(double z) const {
  const int f = static_cast<int>(std::floor(z / floor_height_m_)) + 1;
  return std::clamp(f, 1, floors_);
}

int Facade::columnAt(double x) const {
  if (column_width_m_ <= 0) return 0;
  return std::max(1, static_cast<int>(std::floor((x - column_origin_m_) / column_width_m_)) + 1);
}

std::vector<cv::Point2d> Facade::floorOutline(int floor) const {
  const double z0 = (floor - 1) * floor_height_m_, z1 = z0 + floor_height_m_;
  return {toImage({x_min_, z0}), toImage({x_max_, z0}), toImage({x_max_, z1}), toImage({x_min_, z1})};
}

}  // namespace shaobing::vision
