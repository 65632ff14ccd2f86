// Driver decoders: every valid form yields the right normalized event and
// every bad one the right rejection reason, never an event.
#include <gtest/gtest.h>

#include "drivers/driver.h"
#include "drivers/json_fields.h"
#include "gateway/core/base64.h"

namespace shaobing::drivers {
namespace {

DecodeResult decode(const std::string& driver, const std::string& device, const std::string& payload) {
  auto d = createDriver(driver);
  EXPECT_NE(d, nullptr) << driver;
  return d ? d->decode(device, payload) : DecodeResult{};
}

void expectReject(const DecodeResult& r, Reject why) {
  ASSERT_TRUE(r.error.has_value()) << "accepted";
  EXPECT_EQ(*r.error, why) << toString(*r.error) << ": " << r.detail;
  EXPECT_TRUE(r.events.empty());
}

TEST(DriverRegistry, KnowsEveryShippedDriverAndNothingElse) {
  EXPECT_EQ(driverNames(), (std::vector<std::string>{"shaobing-access-v1", "shaobing-sensor-v1",
                                                      "shaobing-camera-event-v1", "hikvision-isapi-acs",
                                                      "shaobing-report-v1"}));
  EXPECT_EQ(createDriver("no-such-driver"), nullptr);
}

const char* kAccess = "shaobing-access-v1";

TEST(AccessV1, DecodesAGrantWithMethodPersonAndTime) {
  auto r = decode(kAccess, "door-1",
                  R"({"event":"access_granted","method":"face","person":{"type":"resident","id":"r-0101"},)"
                  R"("ts":"2026-11-22T08:00:00.250Z"})");
  ASSERT_FALSE(r.error) << r.detail;
  ASSERT_EQ(r.events.size(), 1u);
  const Event& e = r.events[0];
  EXPECT_EQ(e.kind, EventKind::kAccessGranted);
  EXPECT_EQ(e.device, "door-1");
  EXPECT_EQ(e.method, "face");
  EXPECT_EQ(e.person_type, "resident");
  EXPECT_EQ(e.person_id, "r-0101");
  ASSERT_TRUE(e.at);
  EXPECT_EQ(toUnixMillis(*e.at), 1795334400250);
}

TEST(AccessV1, DecodesDoorEventsPassageAndTamper) {
  EXPECT_EQ(decode(kAccess, "d", R"({"event":"door_forced","ts":1795334400000})").events.at(0).kind,
            EventKind::kDoorForced);
  auto held = decode(kAccess, "d", R"({"event":"door_held_open","held_s":130})");
  EXPECT_EQ(held.events.at(0).kind, EventKind::kDoorHeldOpen);
  EXPECT_EQ(held.events.at(0).value, 130);
  auto passage = decode(kAccess, "d", R"({"event":"passage","count":3})");
  EXPECT_EQ(passage.events.at(0).count, 3);
  EXPECT_EQ(decode(kAccess, "d", R"({"event":"tamper"})").events.at(0).kind, EventKind::kTamper);
  EXPECT_EQ(decode(kAccess, "d", R"({"event":"door_opened"})").events.at(0).kind, EventKind::kDoorOpened);
}

TEST(AccessV1, RejectsMalformedJson) {
  expectReject(decode(kAccess, "d", R"({"event": "door_forced")"), Reject::kMalformedJson);
  expectReject(decode(kAccess, "d", "\xff\xfe garbage"), Reject::kMalformedJson);
}

TEST(AccessV1, RejectsNonObjectsAndWrongTypes) {
  expectReject(decode(kAccess, "d", "[1,2]"), Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":42})"), Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":"passage","count":"three"})"), Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":"passage","count":2.5})"), Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":"door_forced","ts":"yesterday"})"), Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":"access_denied","method":"telepathy","person":{"type":"unknown"}})"),
               Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":"access_denied","method":"card","person":"bob"})"),
               Reject::kWrongType);
}

TEST(AccessV1, RejectsMissingFields) {
  expectReject(decode(kAccess, "d", R"({"ts":1795334400000})"), Reject::kMissingField);
  expectReject(decode(kAccess, "d", R"({"event":"access_granted","person":{"type":"resident"}})"),
               Reject::kMissingField);
  expectReject(decode(kAccess, "d", R"({"event":"access_granted","method":"card"})"), Reject::kMissingField);
  expectReject(decode(kAccess, "d", R"({"event":"passage"})"), Reject::kMissingField);
}

TEST(AccessV1, RejectsUnknownEvents) {
  expectReject(decode(kAccess, "d", R"({"event":"door_exploded"})"), Reject::kUnknownEvent);
}

TEST(AccessV1, RejectsAPayloadClaimingAnotherDevice) {
  expectReject(decode(kAccess, "door-1", R"({"device":"door-2","event":"door_opened"})"),
               Reject::kDeviceMismatch);
  EXPECT_FALSE(decode(kAccess, "door-1", R"({"device":"door-1","event":"door_opened"})").error);
}

const char* kSensor = "shaobing-sensor-v1";

TEST(SensorV1, DecodesPowerSmokeContactHeartbeat) {
  auto p = decode(kSensor, "s", R"({"type":"power","watts":180.5})");
  EXPECT_EQ(p.events.at(0).kind, EventKind::kPower);
  EXPECT_DOUBLE_EQ(p.events.at(0).value, 180.5);
  auto smoke = decode(kSensor, "s", R"({"type":"smoke","alarm":true})");
  EXPECT_EQ(smoke.events.at(0).kind, EventKind::kSmokeAlarm);
  EXPECT_TRUE(smoke.events.at(0).state);
  auto c = decode(kSensor, "s", R"({"type":"contact","open":false})");
  EXPECT_EQ(c.events.at(0).kind, EventKind::kContact);
  EXPECT_FALSE(c.events.at(0).state);
  EXPECT_EQ(decode(kSensor, "s", R"({"type":"heartbeat"})").events.at(0).kind, EventKind::kHeartbeat);
}

TEST(SensorV1, DecodesWaterAsAMeterTotalOrAsLitresUsed) {
  auto total = decode(kSensor, "w", R"({"type":"water","total_l":18342.5,"ts":1795334400000})");
  ASSERT_FALSE(total.error) << total.detail;
  EXPECT_EQ(total.events.at(0).kind, EventKind::kWater);
  EXPECT_DOUBLE_EQ(total.events.at(0).value, 18342.5);
  EXPECT_TRUE(total.events.at(0).state);
  auto used = decode(kSensor, "w", R"({"type":"water","used_l":3.5})");
  EXPECT_DOUBLE_EQ(used.events.at(0).value, 3.5);
  EXPECT_FALSE(used.events.at(0).state);
  expectReject(decode(kSensor, "w", R"({"type":"water"})"), Reject::kMissingField);
  expectReject(decode(kSensor, "w", R"({"type":"water","total_l":1,"used_l":1})"), Reject::kWrongType);
  expectReject(decode(kSensor, "w", R"({"type":"water","used_l":-1})"), Reject::kWrongType);
  expectReject(decode(kSensor, "w", R"({"type":"water","used_l":"a bucket"})"), Reject::kWrongType);
}

TEST(AccessV1, CarriesTheCredentialAndAVehicleTagWhenReported) {
  auto r = decode("shaobing-access-v1", "gate",
                  R"({"event":"access_granted","method":"card","person":{"type":"resident","id":"r-1"},)"
                  R"("credential":"card-77","tag":"EB-7"})");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.events.at(0).credential, "card-77");
  EXPECT_EQ(r.events.at(0).tag, "EB-7");
  expectReject(decode("shaobing-access-v1", "gate",
                      R"({"event":"access_granted","method":"card","person":{"type":"resident"},"tag":7})"),
               Reject::kWrongType);
}

TEST(SensorV1, RejectsEveryBadForm) {
  expectReject(decode(kSensor, "s", "not json"), Reject::kMalformedJson);
  expectReject(decode(kSensor, "s", R"({"type":"power","watts":"lots"})"), Reject::kWrongType);
  expectReject(decode(kSensor, "s", R"({"type":"power","watts":-5})"), Reject::kWrongType);
  expectReject(decode(kSensor, "s", R"({"type":"power"})"), Reject::kMissingField);
  expectReject(decode(kSensor, "s", R"({"type":"smoke","alarm":"yes"})"), Reject::kWrongType);
  expectReject(decode(kSensor, "s", R"({"watts":5})"), Reject::kMissingField);
  expectReject(decode(kSensor, "s", R"({"type":"radiation"})"), Reject::kUnknownEvent);
  expectReject(decode(kSensor, "s", R"({"device":"other","type":"heartbeat"})"), Reject::kDeviceMismatch);
}

const char* kReport = "shaobing-report-v1";

TEST(ReportV1, DecodesAReportWithLocationAndPhoto) {
  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "body";
  nlohmann::json j = {{"level", "emergency"},
                      {"text", "burning smell in corridor"},
                      {"location", {{"building", "9"}, {"unit", "2"}, {"floor", 3}, {"text", "by the lift"}}},
                      {"grid", "g-09"},
                      {"report_id", "app-1"},
                      {"photo_base64", base64Encode(jpeg)}};
  auto r = decode(kReport, "resident-42", j.dump());
  ASSERT_FALSE(r.error) << r.detail;
  const Event& e = r.events.at(0);
  EXPECT_EQ(e.kind, EventKind::kReport);
  EXPECT_EQ(e.device, "resident-42");
  ASSERT_TRUE(e.report.has_value());
  EXPECT_EQ(e.report->level, "emergency");
  EXPECT_EQ(e.report->floor, 3);
  EXPECT_EQ(e.report->place, "by the lift");
  EXPECT_EQ(e.report->report_id, "app-1");
  EXPECT_EQ(e.report->photo_jpeg, jpeg);
}

TEST(ReportV1, RejectsEveryBadForm) {
  expectReject(decode(kReport, "x", "not json"), Reject::kMalformedJson);
  expectReject(decode(kReport, "x", R"({"level":"urgent","text":"a"})"), Reject::kWrongType);
  expectReject(decode(kReport, "x", R"({"level":"routine"})"), Reject::kMissingField);
  expectReject(decode(kReport, "x", R"({"level":"routine","text":""})"), Reject::kWrongType);
  expectReject(decode(kReport, "x", R"({"level":"routine","text":"a","photo_base64":"QUJD"})"), Reject::kWrongType);
  expectReject(decode(kReport, "x", R"({"level":"routine","text":"a","photo_base64":"@@"})"), Reject::kWrongType);
  expectReject(decode(kReport, "x", R"({"level":"routine","text":"a","location":"here"})"), Reject::kWrongType);
  expectReject(decode(kReport, "x", R"({"level":"routine","text":"a","location":{"floor":2.5}})"), Reject::kWrongType);
  expectReject(decode(kReport, "x", R"({"reporter":"y","level":"routine","text":"a"})"), Reject::kDeviceMismatch);
}

const char* kCamera = "shaobing-camera-event-v1";

TEST(CameraEventV1, DecodesZoneEvents) {
  auto r = decode(kCamera, "cam-1", R"({"event":"vehicle_left_zone","zone":"b3-bike-shed","object":"ebike"})");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.events.at(0).kind, EventKind::kVehicleLeftZone);
  EXPECT_EQ(r.events.at(0).zone, "b3-bike-shed");
  EXPECT_EQ(r.events.at(0).object, "ebike");
  EXPECT_EQ(decode(kCamera, "cam-1", R"({"event":"ebike_detected","zone":"lift-3"})").events.at(0).object, "ebike");
}

TEST(CameraEventV1, RejectsEveryBadForm) {
  expectReject(decode(kCamera, "c", "{"), Reject::kMalformedJson);
  expectReject(decode(kCamera, "c", R"({"event":"vehicle_left_zone"})"), Reject::kMissingField);
  expectReject(decode(kCamera, "c", R"({"event":"vehicle_left_zone","zone":7})"), Reject::kWrongType);
  expectReject(decode(kCamera, "c", R"({"event":"ufo_landed"})"), Reject::kUnknownEvent);
  expectReject(decode(kCamera, "c", R"({"camera":"c2","event":"heartbeat"})"), Reject::kDeviceMismatch);
}

const char* kHik = "hikvision-isapi-acs";

std::string hik(int major, int minor, const std::string& extra = "") {
  return R"({"ipAddress":"10.0.3.21","dateTime":"2026-11-22T16:00:00+08:00","eventType":"AccessControllerEvent",)"
         R"("AccessControllerEvent":{"majorEventType":)" + std::to_string(major) + R"(,"subEventType":)" +
         std::to_string(minor) + extra + "}}";
}

TEST(HikvisionIsapiAcs, MapsAuthenticationCodesToGrantsAndDenials) {
  auto face = decode(kHik, "d", hik(5, 0x4b, R"(,"employeeNoString":"r-0101","userType":"normal")"));
  ASSERT_FALSE(face.error) << face.detail;
  EXPECT_EQ(face.events[0].kind, EventKind::kAccessGranted);
  EXPECT_EQ(face.events[0].method, "face");
  EXPECT_EQ(face.events[0].person_type, "resident");
  EXPECT_EQ(face.events[0].person_id, "r-0101");
  EXPECT_EQ(toUnixMillis(*face.events[0].at), 1795334400000);
  auto unknown = decode(kHik, "d", hik(5, 0x4c));
  EXPECT_EQ(unknown.events.at(0).kind, EventKind::kAccessDenied);
  EXPECT_EQ(unknown.events.at(0).person_type, "unknown");
  auto card = decode(kHik, "d", hik(5, 0x01, R"(,"cardNo":"12345678")"));
  EXPECT_EQ(card.events.at(0).method, "card");
  EXPECT_EQ(card.events.at(0).person_id, "12345678");
  auto black = decode(kHik, "d", hik(5, 0x06, R"(,"cardNo":"9","userType":"blackList")"));
  EXPECT_EQ(black.events.at(0).person_type, "blocklisted");
}

TEST(HikvisionIsapiAcs, MapsDoorStateAndTamperCodes) {
  EXPECT_EQ(decode(kHik, "d", hik(5, 0x19)).events.at(0).kind, EventKind::kDoorOpened);
  EXPECT_EQ(decode(kHik, "d", hik(5, 0x1a)).events.at(0).kind, EventKind::kDoorClosed);
  EXPECT_EQ(decode(kHik, "d", hik(5, 0x1b)).events.at(0).kind, EventKind::kDoorForced);
  EXPECT_EQ(decode(kHik, "d", hik(5, 0x1c)).events.at(0).kind, EventKind::kDoorHeldOpen);
  EXPECT_EQ(decode(kHik, "d", hik(1, 0x404)).events.at(0).kind, EventKind::kTamper);
  EXPECT_EQ(decode(kHik, "d", hik(1, 0x406)).events.at(0).kind, EventKind::kTamper);
}

TEST(HikvisionIsapiAcs, RejectsOtherEventsAndBadShapes) {
  expectReject(decode(kHik, "d", hik(3, 0x70)), Reject::kUnknownEvent);  // an operation log entry
  expectReject(decode(kHik, "d", R"({"eventType":"VMD","dateTime":"2026-11-22T16:00:00+08:00"})"),
               Reject::kUnknownEvent);
  expectReject(decode(kHik, "d", R"({"eventType":"AccessControllerEvent"})"), Reject::kMissingField);
  expectReject(decode(kHik, "d", R"({"eventType":"AccessControllerEvent","AccessControllerEvent":[]})"),
               Reject::kWrongType);
  expectReject(decode(kHik, "d", R"({"eventType":"AccessControllerEvent","AccessControllerEvent":{"majorEventType":5}})"),
               Reject::kMissingField);
  expectReject(decode(kHik, "d", R"({"eventType":"AccessControllerEvent","AccessControllerEvent":{"majorEventType":"5","subEventType":1}})"),
               Reject::kWrongType);
  expectReject(decode(kHik, "d", "<xml/>"), Reject::kMalformedJson);
}

TEST(HikvisionIsapiAcs, EventCodesOutsideIntegerRangeAreRejectedNotConverted) {
  // Found by fuzzing: a subEventType of 2666666667 overflowed the int conversion.
  const std::string base =
      R"({"ipAddress":"10.0.3.21","dateTime":"2026-11-22T23:12:00+08:00","eventType":"AccessControllerEvent",)"
      R"("AccessControllerEvent":{"majorEventType":5,"subEventType":)";
  expectReject(decode(kHik, "d", base + "2666666667}}"), Reject::kUnknownEvent);
  expectReject(decode(kHik, "d", base + "-1e300}}"), Reject::kUnknownEvent);
  expectReject(decode(kHik, "d", base + "75.5}}"), Reject::kUnknownEvent);
  EXPECT_FALSE(decode(kHik, "d", base + "75}}").error);
}

TEST(Timestamps, FarOutOfRangeAreRejectedNotOverflowed) {
  // Found by fuzzing: years past 2262 overflow system_clock's nanoseconds.
  expectReject(decode(kCamera, "c", R"({"event":"heartbeat","ts":"4050-11-22T18:40:00Z"})"), Reject::kWrongType);
  expectReject(decode(kAccess, "d", R"({"event":"tamper","ts":99999999999999999})"), Reject::kBadTimestamp);
  expectReject(decode(kAccess, "d", R"({"event":"tamper","ts":-5})"), Reject::kBadTimestamp);
}

TEST(Rfc3339, ParsesZonesAndFractions) {
  using json_fields::parseRfc3339;
  EXPECT_EQ(toUnixMillis(*parseRfc3339("2026-11-22T08:00:00Z")), 1795334400000);
  EXPECT_EQ(toUnixMillis(*parseRfc3339("2026-11-22T16:00:00.5+08:00")), 1795334400500);
  EXPECT_FALSE(parseRfc3339("2026-11-22T08:00:00"));  // no zone
  EXPECT_FALSE(parseRfc3339("2026-13-22T08:00:00Z"));
  EXPECT_FALSE(parseRfc3339("garbage"));
}

}  // namespace
}  // namespace shaobing::drivers
