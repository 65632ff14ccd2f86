// The report rule; see report.h.
#include "gateway/rules/report/report.h"

namespace shaobing::rules::report {

namespace {

class ReportRule : public Rule {
 public:
  explicit ReportRule(Context& ctx) : ctx_(ctx) {}

  void onEvent(const Event& e, const config::DeviceConfig& reporter) override {
    if (e.kind != EventKind::kReport || !e.report) return;
    const Report& r = *e.report;
    whistle::Incident inc;
    inc.type = "reported_hazard";
    inc.level = whistle::parseLevel(r.level);
    inc.source = reporter.id;
    inc.grid = r.grid;
    inc.location.building = r.building;
    inc.location.unit = r.unit;
    inc.location.text = r.place;
    if (r.floor) inc.location.floor = *r.floor;
    inc.details = {{"text", r.text}, {"reporter", reporter.id}};
    if (!r.report_id.empty()) {
      // A redelivered report (same reporter and report_id) folds into the whistle it raised.
      inc.details["report_id"] = r.report_id;
      inc.incident_key = "report:" + reporter.id + ":" + r.report_id;
    }
    if (!r.photo_jpeg.empty()) inc.evidence.push_back({"photo", "image/jpeg", "", r.photo_jpeg});
    if (e.at) inc.observed_at = e.at;
    ctx_.raise(std::move(inc));
    ++reports_;
  }

  void health(nlohmann::json& out) const override { out["reports"] = reports_; }

 private:
  Context& ctx_;
  uint64_t reports_ = 0;
};

}  // namespace

RuleEntry entry() {
  return {"report", nullptr, [](Context& ctx) { return std::make_unique<ReportRule>(ctx); }};
}

}  // namespace shaobing::rules::report
