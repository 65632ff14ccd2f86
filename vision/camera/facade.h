// A calibrated facade: the homography between image pixels (full resolution)
// and facade metres (x along the facade, z above the ground), floors and
// window columns, and the default detection area. One per camera
// (`cameras[].calibration`), shared by the detectors that judge in metres.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "config/cameras.h"

namespace shaobing::vision {

class Facade {
 public:
  // `detect_area` empty: the facade from the ground to one floor above the roof.
  // `column_width_m` > 0: window columns numbered from x = column_origin_m.
  explicit Facade(const config::FacadeCalibration& calibration, const config::Polygon& detect_area = {},
                  double column_width_m = 0, double column_origin_m = 0);

  cv::Point2d toFacade(cv::Point2d pixel) const;    // → (x m, z m)
  cv::Point2d toImage(cv::Point2d facade_m) const;  // → pixels
  // Pixels per metre on the facade around a facade point (mean of both axes).
  double pixelsPerMetre(cv::Point2d facade_m) const;

  int floors() const { return floors_; }
  double floorHeight() const { return floor_height_m_; }
  double roofHeight() const { return floors_ * floor_height_m_; }
  double xMin() const { return x_min_; }
  double xMax() const { return x_max_; }
  // Floor (1 = ground floor) containing height z, clamped to 1..floors.
  int floorAt(double z) const;
  // Window column (1-based) at x, or 0 when columns are not configured.
  int columnAt(double x) const;
  // The image outline of a floor band (4 points).
  std::vector<cv::Point2d> floorOutline(int floor) const;
  // The detection polygon in full-resolution pixels: the configured one, else the
  // facade from the ground to one floor above the roof.
  const std::vector<cv::Point2d>& detectArea() const { return detect_area_; }

 private:
  cv::Matx33d to_image_;
  cv::Matx33d to_facade_;
  int floors_;
  double floor_height_m_;
  double x_min_, x_max_;
  double column_width_m_, column_origin_m_;
  std::vector<cv::Point2d> detect_area_;
};

}  // namespace shaobing::vision
