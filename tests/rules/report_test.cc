// People's reports become whistles.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, AReportBecomesAWhistleAtItsLevelWithItsPhotoAndFoldsWhenResent) {
  Event e = ev(EventKind::kReport, "resident-42");  // a reporter, not a configured device
  Report r;
  r.level = "emergency";
  r.text = "smoke from 1102";
  r.report_id = "app-9";
  r.building = "11";
  r.floor = 11;
  r.photo_jpeg = std::string("\xFF\xD8\xFF", 3);
  e.report = r;
  engine_->onEvent(e);
  ASSERT_EQ(sink_.count("reported_hazard"), 1u);
  const whistle::Incident& inc = *sink_.first("reported_hazard");
  EXPECT_EQ(inc.level, whistle::Level::kEmergency);
  EXPECT_EQ(inc.source, "resident-42");
  EXPECT_EQ(inc.incident_key, "report:resident-42:app-9");
  EXPECT_EQ(inc.location.floor, 11);
  EXPECT_EQ(inc.details["text"], "smoke from 1102");
  ASSERT_EQ(inc.evidence.size(), 1u);
  EXPECT_EQ(inc.evidence[0].kind, "photo");
  EXPECT_EQ(engine_->health()["reports"], 1);
}

}  // namespace
}  // namespace shaobing::rules::test
