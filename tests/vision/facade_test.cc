// Facade calibration: the homography from the installer's four points, floors,
// columns and the default detection area.
#include "vision/camera/facade.h"
#include "vision/detectors/thrown_object/config.h"

#include <gtest/gtest.h>

#include "vision/synth/geometry.h"

namespace shaobing::vision {
namespace {

ThrownObjectConfig fromSynth(const synth::Calibration& c) {
  ThrownObjectConfig t;
  for (int i = 0; i < 4; ++i) {
    t.calibration.image_points[i] = {c.image_points[i].x, c.image_points[i].y};
    t.calibration.facade_points_m[i] = {c.facade_points_m[i].x, c.facade_points_m[i].y};
  }
  t.calibration.floor_height_m = c.floor_height_m;
  t.calibration.floors = c.floors;
  return t;
}

TEST(FacadeTest, MapsFacadePointsOfAPerspectiveViewToTheirPixelsAndBack) {
  synth::CameraPose pose;
  pose.yaw_deg = 3;
  pose.roll_deg = 0.5;
  synth::FacadeLayout layout;
  synth::Projector projector(pose);
  Facade facade(fromSynth(synth::makeCalibration(projector, layout)).facade());
  // Points all over the facade, not only the four calibration points.
  for (double x : {1.0, 10.0, 22.5, 40.0}) {
    for (double z : {2.0, 17.0, 33.3, 52.0}) {
      const cv::Point2d px = projector.projectFacade(x, z);
      const cv::Point2d back = facade.toFacade(px);
      EXPECT_NEAR(back.x, x, 0.05) << x << "," << z;
      EXPECT_NEAR(back.y, z, 0.05) << x << "," << z;
      EXPECT_NEAR(cv::norm(facade.toImage({x, z}) - px), 0, 0.3);
    }
  }
  // Within the foreshortening of the tilted facade.
  EXPECT_NEAR(facade.pixelsPerMetre({20, 30}) / projector.pixelsPerMetre({20, 0, 30}), 1.0, 0.15);
}

TEST(FacadeTest, FloorOneIsTheGroundFloorAndFloorsAreClampedToTheBuilding) {
  ThrownObjectConfig t;
  t.calibration.image_points = {{{0, 1000}, {1000, 1000}, {1000, 0}, {0, 0}}};
  t.calibration.facade_points_m = {{{0, 0}, {30, 0}, {30, 54}, {0, 54}}};
  t.calibration.floor_height_m = 3.0;
  t.calibration.floors = 18;
  t.column_width_m = 3.0;
  Facade facade(t.facade());
  EXPECT_EQ(facade.floorAt(0.5), 1);
  EXPECT_EQ(facade.floorAt(2.99), 1);
  EXPECT_EQ(facade.floorAt(3.0), 2);
  EXPECT_EQ(facade.floorAt(40.2), 14);
  EXPECT_EQ(facade.floorAt(-1), 1);
  EXPECT_EQ(facade.floorAt(80), 18);
  EXPECT_EQ(facade.columnAt(0.1), 1);
  EXPECT_EQ(facade.columnAt(7.0), 3);
  // Pixel (500, 500) is the middle of the facade, 27 m up.
  const cv::Point2d mid = facade.toFacade({500, 500});
  EXPECT_NEAR(mid.x, 15, 1e-6);
  EXPECT_NEAR(mid.y, 27, 1e-6);
  // Default detection area: the facade from the ground to a floor above the roof.
  ASSERT_EQ(facade.detectArea().size(), 4u);
  EXPECT_NEAR(facade.detectArea()[0].y, 1000, 1e-6);
  EXPECT_NEAR(facade.detectArea()[2].y, 1000 - 57 * 1000 / 54.0, 1e-6);
}

TEST(FacadeTest, WithoutColumnsConfiguredNoColumnIsReported) {
  ThrownObjectConfig t;
  t.calibration.image_points = {{{0, 100}, {100, 100}, {100, 0}, {0, 0}}};
  t.calibration.facade_points_m = {{{0, 0}, {10, 0}, {10, 10}, {0, 10}}};
  t.calibration.floors = 3;
  EXPECT_EQ(t.facade().columnAt(5), 0);
}

}  // namespace
}  // namespace shaobing::vision
