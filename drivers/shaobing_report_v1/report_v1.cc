// shaobing-report-v1: a resident's or grid worker's report with an optional
// JPEG photo (README.md in this folder). The device is the reporter: the
// topic's last level.
#include "drivers/shaobing_report_v1/report_v1.h"

#include "drivers/json_fields.h"
#include "gateway/core/base64.h"

namespace shaobing::drivers {

namespace {

using namespace json_fields;

constexpr size_t kMaxText = 4000;
constexpr size_t kMaxPhotoBytes = 8 * 1024 * 1024;

class ReportV1 : public Driver {
 public:
  std::string name() const override { return "shaobing-report-v1"; }

  DecodeResult decode(const std::string& device, const std::string& payload) const override {
    DecodeResult fail;
    Event e;
    auto j = beginEvent(payload, device, "reporter", "ts", e, fail);
    if (!j) return fail;
    e.kind = EventKind::kReport;
    Report r;
    if (!reqString(*j, "level", r.level, fail) || !reqString(*j, "text", r.text, fail) ||
        !optString(*j, "report_id", r.report_id, fail) || !optString(*j, "grid", r.grid, fail)) {
      return fail;
    }
    if (r.level != "routine" && r.level != "priority" && r.level != "emergency") {
      return DecodeResult::fail(Reject::kWrongType, "level must be routine, priority or emergency");
    }
    if (r.text.empty() || r.text.size() > kMaxText) {
      return DecodeResult::fail(Reject::kWrongType, "text must be 1 to 4000 bytes");
    }
    if (auto l = j->find("location"); l != j->end()) {
      if (!l->is_object()) return DecodeResult::fail(Reject::kWrongType, "'location' must be an object");
      std::optional<double> floor;
      if (!optString(*l, "building", r.building, fail) || !optString(*l, "unit", r.unit, fail) ||
          !optString(*l, "text", r.place, fail) || !optNumber(*l, "floor", floor, fail)) {
        return fail;
      }
      if (floor) {
        if (*floor != static_cast<int>(*floor) || *floor < -10 || *floor > 300) {
          return DecodeResult::fail(Reject::kWrongType, "'location.floor' must be a whole floor number");
        }
        r.floor = static_cast<int>(*floor);
      }
    }
    std::string photo;
    if (!optString(*j, "photo_base64", photo, fail)) return fail;
    if (!photo.empty()) {
      auto bytes = base64Decode(photo);
      if (!bytes) return DecodeResult::fail(Reject::kWrongType, "photo_base64 is not valid base64");
      if (bytes->size() > kMaxPhotoBytes) return DecodeResult::fail(Reject::kTooLarge, "photo larger than 8 MiB");
      if (bytes->size() < 3 || static_cast<unsigned char>((*bytes)[0]) != 0xFF ||
          static_cast<unsigned char>((*bytes)[1]) != 0xD8) {
        return DecodeResult::fail(Reject::kWrongType, "photo is not a JPEG");
      }
      r.photo_jpeg = std::move(*bytes);
    }
    e.report = std::move(r);
    DecodeResult ok;
    ok.events.push_back(std::move(e));
    return ok;
  }
};

}  // namespace

std::unique_ptr<Driver> createReportV1() { return std::make_unique<ReportV1>(); }

}  // namespace shaobing::drivers
