// Camera and facade geometry of a synthetic scene: a pinhole camera on the ground
// looking up at a planar high-rise facade; the facade→pixel homography is exact.
#pragma once

#include <opencv2/core.hpp>

#include <array>
#include <vector>

namespace shaobing::vision::synth {

// A point in the world: x metres along the facade (0 = its left edge), d metres in front
// of the facade plane (towards the camera), z metres above the ground.
struct WorldPoint {
  double x = 0;
  double d = 0;
  double z = 0;
};

struct CameraPose {
  int width = 1280;
  int height = 720;
  double focal_px = 560;
  double x_m = 20;         // camera position along the facade
  double distance_m = 38;  // from the facade plane
  double height_m = 1.6;
  double pitch_deg = 25;   // positive looks up
  double yaw_deg = 0;
  double roll_deg = 0;
};

struct FacadeLayout {
  int floors = 18;
  double floor_height_m = 3.0;
  int columns = 12;              // window columns, numbered 1..columns from the left
  double column_spacing_m = 3.2;
  double margin_m = 1.2;         // wall beyond the outer columns
  double window_width_m = 1.6;
  double window_height_m = 1.5;
  double sill_m = 0.9;           // window sill above the floor level
  double parapet_m = 1.2;        // roof parapet above the last floor
  std::vector<int> loggia_columns;  // columns with recessed balconies (loggias)

  double width() const { return 2 * margin_m + columns * column_spacing_m; }
  double roofHeight() const { return floors * floor_height_m + parapet_m; }
  double columnCentre(int column) const {
    return margin_m + (column - 0.5) * column_spacing_m;
  }
  double floorBase(int floor) const { return (floor - 1) * floor_height_m; }
  // Floor (1 = ground floor) containing height z, clamped to the building.
  int floorAt(double z) const;
  // Column (1-based) nearest to x, clamped.
  int columnAt(double x) const;
  bool isLoggia(int column) const;
};

class Projector {
 public:
  explicit Projector(const CameraPose& pose);
  // Pixel position of a world point; depth_m receives the distance along the optical
  // axis (negative behind the camera).
  cv::Point2d project(const WorldPoint& p, double* depth_m = nullptr) const;
  cv::Point2d projectFacade(double x, double z) const { return project({x, 0, z}); }
  // Pixels per metre at a world point (for sizing sprites).
  double pixelsPerMetre(const WorldPoint& p) const;
  // Homography from facade metres (x, z) to pixels, exact for the plane d = 0.
  cv::Matx33d facadeHomography() const;
  const CameraPose& pose() const { return pose_; }

 private:
  CameraPose pose_;
  cv::Matx33d rotation_;
};

// The four correspondences an installer would measure: the facade's outer edges at
// the top of floor 1 and at the roof line (below the parapet).
struct Calibration {
  std::array<cv::Point2d, 4> image_points;     // pixels, rounded to 0.1 px
  std::array<cv::Point2d, 4> facade_points_m;  // (x, z)
  double floor_height_m = 3.0;
  int floors = 18;
  std::vector<cv::Point2d> detect_area;        // facade outline in pixels
};

Calibration makeCalibration(const Projector& projector, const FacadeLayout& layout);

// Homography facade (x, z) → pixels from a calibration's four correspondences.
cv::Matx33d calibrationHomography(const Calibration& calibration);
cv::Point2d applyHomography(const cv::Matx33d& h, cv::Point2d p);

}  // namespace shaobing::vision::synth
