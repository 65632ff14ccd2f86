// Pinhole projection of the facade scene and the calibration an installer would write.
#include "vision/synth/geometry.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace shaobing::vision::synth {
namespace {

double radians(double deg) { return deg * CV_PI / 180.0; }
double round1(double v) { return std::round(v * 10.0) / 10.0; }

}  // namespace

int FacadeLayout::floorAt(double z) const {
  int floor = static_cast<int>(std::floor(z / floor_height_m)) + 1;
  return std::clamp(floor, 1, floors);
}

int FacadeLayout::columnAt(double x) const {
  int column = static_cast<int>(std::floor((x - margin_m) / column_spacing_m)) + 1;
  return std::clamp(column, 1, columns);
}

bool FacadeLayout::isLoggia(int column) const {
  return std::find(loggia_columns.begin(), loggia_columns.end(), column) != loggia_columns.end();
}

Projector::Projector(const CameraPose& pose) : pose_(pose) {
  // Camera frame: X right, Y down, Z forward. Yaw, then pitch up, then roll.
  const double y = radians(pose.yaw_deg), p = radians(pose.pitch_deg), r = radians(pose.roll_deg);
  cv::Matx33d yaw(std::cos(y), 0, -std::sin(y), 0, 1, 0, std::sin(y), 0, std::cos(y));
  cv::Matx33d pitch(1, 0, 0, 0, std::cos(p), std::sin(p), 0, -std::sin(p), std::cos(p));
  cv::Matx33d roll(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
  rotation_ = roll * pitch * yaw;
}

cv::Point2d Projector::project(const WorldPoint& p, double* depth_m) const {
  cv::Vec3d unrotated(p.x - pose_.x_m, -(p.z - pose_.height_m), pose_.distance_m - p.d);
  cv::Vec3d c = rotation_ * unrotated;
  if (depth_m != nullptr) *depth_m = c[2];
  const double z = std::max(c[2], 1e-6);
  return {pose_.width / 2.0 + pose_.focal_px * c[0] / z,
          pose_.height / 2.0 + pose_.focal_px * c[1] / z};
}

double Projector::pixelsPerMetre(const WorldPoint& p) const {
  double depth = 0;
  project(p, &depth);
  return pose_.focal_px / std::max(depth, 0.1);
}

cv::Matx33d Projector::facadeHomography() const {
  std::vector<cv::Point2f> src{{0, 0}, {40, 0}, {40, 40}, {0, 40}};
  std::vector<cv::Point2f> dst;
  for (const auto& s : src) dst.push_back(cv::Point2f(projectFacade(s.x, s.y)));
  return cv::Matx33d(cv::getPerspectiveTransform(src, dst));
}

Calibration makeCalibration(const Projector& projector, const FacadeLayout& layout) {
  Calibration cal;
  const double w = layout.width();
  const double low = layout.floor_height_m;
  const double high = layout.floors * layout.floor_height_m;
  cal.facade_points_m = {cv::Point2d(0, low), cv::Point2d(w, low), cv::Point2d(w, high),
                         cv::Point2d(0, high)};
  for (size_t i = 0; i < 4; ++i) {
    cv::Point2d px = projector.projectFacade(cal.facade_points_m[i].x, cal.facade_points_m[i].y);
    cal.image_points[i] = {round1(px.x), round1(px.y)};
  }
  cal.floor_height_m = layout.floor_height_m;
  cal.floors = layout.floors;
  for (cv::Point2d corner : {cv::Point2d(0, 0), cv::Point2d(w, 0), cv::Point2d(w, layout.roofHeight()),
                             cv::Point2d(0, layout.roofHeight())}) {
    cv::Point2d px = projector.projectFacade(corner.x, corner.y);
    cal.detect_area.push_back({std::round(px.x), std::round(px.y)});
  }
  return cal;
}

cv::Matx33d calibrationHomography(const Calibration& calibration) {
  std::vector<cv::Point2f> src, dst;
  for (size_t i = 0; i < 4; ++i) {
    src.push_back(cv::Point2f(calibration.facade_points_m[i]));
    dst.push_back(cv::Point2f(calibration.image_points[i]));
  }
  return cv::Matx33d(cv::getPerspectiveTransform(src, dst));
}

cv::Point2d applyHomography(const cv::Matx33d& h, cv::Point2d p) {
  cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1.0);
  return {v[0] / v[2], v[1] / v[2]};
}

}  // namespace shaobing::vision::synth
