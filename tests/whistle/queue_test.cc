// The whistle queue's logic against a fake uplink and a fake clock: what it
// publishes and in which order, the report intake, ack handling and
// escalation on a missed deadline.
#include "gateway/whistle/queue.h"

#include <gtest/gtest.h>

#include "gateway/whistle/encoding.h"
#include "gateway/whistle/incident.h"
#include "gateway/whistle/store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace shaobing::whistle {
namespace {

using nlohmann::json;

using testing::FakeClock;

class FakeConnection : public mqtt::Connection {
 public:
  struct Sent {
    mqtt::Message msg;
    mqtt::PublishDone done;
  };
  void setInboundHandler(mqtt::InboundHandler h) override { inbound = std::move(h); }
  void setStateHandler(mqtt::StateHandler h) override { state = std::move(h); }
  void start() override {}
  void publish(mqtt::Message msg, mqtt::PublishDone done) override {
    if (!connected) {
      if (done) done(false, "not connected");
      return;
    }
    sent.push_back({std::move(msg), std::move(done)});
  }
  void subscribe(const std::string& filter, int) override { subscriptions.push_back(filter); }
  void stop(std::chrono::milliseconds, std::function<void()> done) override { done(); }
  bool isConnected() const override { return connected; }
  mqtt::LinkStats stats() const override { return {}; }

  void confirmAll() {
    auto pending = std::move(sent);
    sent.clear();
    for (auto& s : pending) {
      confirmed.push_back(s.msg);
      if (s.done) s.done(true, "");
    }
  }
  void deliver(const std::string& topic, const std::string& payload) {
    mqtt::Message m;
    m.topic = topic;
    m.payload = payload;
    inbound(m);
  }

  bool connected = true;
  mqtt::InboundHandler inbound;
  mqtt::StateHandler state;
  std::vector<Sent> sent;
  std::vector<mqtt::Message> confirmed;
  std::vector<std::string> subscriptions;
};

config::Config testConfig(const std::string& state_dir) {
  auto r = config::loadConfigString(
      "site:\n  id: s1\n  default_grid: g7\nstate_dir: " + state_dir +
      "\nuplink:\n  host: 127.0.0.1\n"
      "whistles:\n  ack_deadline: {routine: 10m, priority: 60s, emergency: 30s}\n"
      "  escalation_limit: 2\n  in_flight: 2\n  evidence_max_size: 64KiB\n"
      "  destinations:\n    police: police/{grid}/alert\n"
      "  types:\n    door_forced: {level: priority, routes: [grid, police]}\n"
      "devices:\n  - id: door-1\n    kind: access\n    grid: g3\n    zone: east\n"
      "    location: {building: '5', unit: '2', floor: 1}\n");
  EXPECT_TRUE(r.ok()) << (r.messages().empty() ? "" : r.messages()[0]);
  return *r.config;
}

class QueueTest : public ::testing::Test {
 protected:
  QueueTest()
      : cfg_(testConfig(dir_.path().string())),
        local_(std::make_shared<FakeConnection>()),
        uplink_(std::make_shared<FakeConnection>()),
        router_(local_),
        ctx_{io_, clock_, counters_, cfg_, local_, router_, nullptr} {
    local_->setInboundHandler([this](const mqtt::Message& m) { router_.dispatch(m); });
    queue_ = createWhistleQueue(ctx_, cfg_, uplink_);
    queue_->start();
  }
  ~QueueTest() override {
    queue_->stop([] {});
    io_.poll();
  }
  void settle() {
    io_.restart();
    io_.poll();
  }
  Incident incident(const std::string& type, std::optional<Level> level = std::nullopt) {
    Incident i;
    i.type = type;
    i.level = level;
    i.source = "door-1";
    return i;
  }
  std::vector<std::string> sentTopics() const {
    std::vector<std::string> t;
    for (const auto& s : uplink_->sent) t.push_back(s.msg.topic);
    return t;
  }

  testing::TempDir dir_;
  config::Config cfg_;
  boost::asio::io_context io_;
  FakeClock clock_;
  Counters counters_;
  std::shared_ptr<FakeConnection> local_;
  std::shared_ptr<FakeConnection> uplink_;
  mqtt::Router router_;
  ServiceContext ctx_;
  std::unique_ptr<Component> queue_;
};

TEST_F(QueueTest, SetsItselfAsTheIncidentSinkAndSubscribesAcks) {
  EXPECT_NE(ctx_.incidents, nullptr);
  EXPECT_EQ(uplink_->subscriptions, (std::vector<std::string>{"grid/s1/ack"}));
  EXPECT_TRUE(local_->subscriptions.empty()) << "people's reports come through the ingest";
}

TEST_F(QueueTest, WhistleCarriesDeviceContextAndGoesToEveryRoute) {
  RaiseResult r = ctx_.incidents->raise(incident("door_forced"));
  ASSERT_TRUE(r.ok) << r.error;
  settle();
  ASSERT_EQ(sentTopics(), (std::vector<std::string>{"grid/s1/whistle/priority", "police/g3/alert"}));
  json w = json::parse(uplink_->sent[0].msg.payload);
  EXPECT_EQ(w["schema"], "shaobing.whistle/1");
  EXPECT_EQ(w["id"], r.whistle_id);
  EXPECT_EQ(w["site"], "s1");
  EXPECT_EQ(w["grid"], "g3");
  EXPECT_EQ(w["type"], "door_forced");
  EXPECT_EQ(w["level"], "priority");
  EXPECT_EQ(w["raised_at"], formatRfc3339(clock_.wall));
  EXPECT_EQ(w["source"], json({{"device", "door-1"}, {"zone", "east"}}));
  EXPECT_EQ(w["location"], json({{"building", "5"}, {"unit", "2"}, {"floor", 1}}));
  EXPECT_EQ(w["escalation"], 0);
  EXPECT_EQ(uplink_->sent[1].msg.payload, uplink_->sent[0].msg.payload);
  EXPECT_EQ(uplink_->sent[0].msg.qos, 1);
}

TEST_F(QueueTest, InFlightWindowBoundsUnconfirmedPublishes) {
  for (int i = 0; i < 5; ++i) ctx_.incidents->raise(incident("tailgating"));
  settle();
  EXPECT_EQ(uplink_->sent.size(), 2u);  // in_flight: 2
  uplink_->confirmAll();
  settle();
  EXPECT_EQ(uplink_->sent.size(), 2u);
  uplink_->confirmAll();
  settle();
  uplink_->confirmAll();
  settle();
  EXPECT_EQ(uplink_->confirmed.size(), 5u);
  EXPECT_TRUE(uplink_->sent.empty());
}

TEST_F(QueueTest, WhileDisconnectedNothingIsSentAndEmergencyGoesFirstAfter) {
  uplink_->connected = false;
  auto r1 = ctx_.incidents->raise(incident("tailgating", Level::kRoutine));
  auto r2 = ctx_.incidents->raise(incident("tailgating", Level::kEmergency));
  settle();
  EXPECT_TRUE(uplink_->sent.empty());
  uplink_->connected = true;
  uplink_->state(true);
  settle();
  ASSERT_EQ(uplink_->sent.size(), 2u);
  EXPECT_EQ(json::parse(uplink_->sent[0].msg.payload)["id"], r2.whistle_id);
  EXPECT_EQ(json::parse(uplink_->sent[1].msg.payload)["id"], r1.whistle_id);
}

TEST_F(QueueTest, HealthReportsQueueDepthPerDestinationAndLevel) {
  uplink_->connected = false;
  ctx_.incidents->raise(incident("door_forced"));  // priority to grid and police
  ctx_.incidents->raise(incident("tailgating", Level::kEmergency));
  settle();
  json h = queue_->health();
  EXPECT_EQ(h["queue_depth"],
            json({{"grid/priority", 1}, {"police/priority", 1}, {"grid/emergency", 1}}));
  EXPECT_EQ(h["raised"], 2);
  EXPECT_TRUE(h.contains("connection"));
}

TEST_F(QueueTest, SameIncidentKeyFoldsIntoTheOpenWhistleUntilCleared) {
  Incident a = incident("device_offline");
  a.incident_key = "offline:door-1";
  auto r1 = ctx_.incidents->raise(a);
  auto r2 = ctx_.incidents->raise(a);
  EXPECT_TRUE(r2.folded);
  EXPECT_EQ(r2.whistle_id, r1.whistle_id);
  ctx_.incidents->clear("offline:door-1", "back online");
  auto r3 = ctx_.incidents->raise(a);
  EXPECT_FALSE(r3.folded);
  EXPECT_NE(r3.whistle_id, r1.whistle_id);
}

TEST_F(QueueTest, APhotoHandedOverInMemoryIsPublishedAsEvidenceBeforeTheWhistle) {
  std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "fake jpeg body";
  Incident inc;
  inc.type = "reported_hazard";
  inc.level = Level::kEmergency;
  inc.source = "resident-42";
  inc.location.building = "9";
  inc.location.floor = 3;
  inc.details = {{"text", "burning smell in corridor"}, {"reporter", "resident-42"}};
  inc.evidence.push_back({"photo", "image/jpeg", "", jpeg});
  ASSERT_TRUE(ctx_.incidents->raise(inc).ok);
  settle();
  ASSERT_EQ(uplink_->sent.size(), 2u);
  json w = json::parse(uplink_->sent[1].msg.payload);
  EXPECT_EQ(uplink_->sent[0].msg.topic, "grid/s1/evidence/" + w["id"].get<std::string>());
  EXPECT_EQ(uplink_->sent[0].msg.payload, jpeg);
  EXPECT_EQ(uplink_->sent[1].msg.topic, "grid/s1/whistle/emergency");
  EXPECT_EQ(w["type"], "reported_hazard");
  EXPECT_EQ(w["grid"], "g7");
  EXPECT_EQ(w["details"]["text"], "burning smell in corridor");
  EXPECT_EQ(w["location"], json({{"building", "9"}, {"floor", 3}}));
  ASSERT_EQ(w["evidence"].size(), 1u);
  EXPECT_EQ(w["evidence"][0]["sha256"], sha256Hex(jpeg));
  EXPECT_EQ(w["evidence"][0]["bytes"], jpeg.size());
}

TEST_F(QueueTest, EvidenceAttachedLaterIsPublishedThenAnnouncedAndListedInEscalations) {
  auto r = ctx_.incidents->raise(incident("door_held_open", Level::kPriority));
  settle();
  uplink_->confirmAll();
  settle();
  const std::string clip = dir_.write("clip.mp4", std::string("\0\0\0\x18" "ftypisom", 12) + "clip body");
  std::string error;
  ASSERT_TRUE(ctx_.incidents->attach(r.whistle_id, {"clip", "video/mp4", clip, ""}, {{"frames", 250}}, &error))
      << error;
  settle();
  ASSERT_EQ(uplink_->sent.size(), 2u);
  // The bytes first, on the whistle's next evidence topic (it had none, so the first one).
  EXPECT_EQ(uplink_->sent[0].msg.topic, "grid/s1/evidence/" + r.whistle_id);
  EXPECT_EQ(uplink_->sent[0].msg.payload, testing::readFile(clip));
  // Then the notice the platform matches by whistle id.
  EXPECT_EQ(uplink_->sent[1].msg.topic, "grid/s1/evidence_added/" + r.whistle_id);
  json n = json::parse(uplink_->sent[1].msg.payload);
  EXPECT_EQ(n["schema"], "shaobing.evidence/1");
  EXPECT_EQ(n["whistle_id"], r.whistle_id);
  EXPECT_EQ(n["type"], "door_held_open");
  EXPECT_EQ(n["level"], "priority");
  EXPECT_EQ(n["escalation"], 0);
  EXPECT_EQ(n["evidence"]["kind"], "clip");
  EXPECT_EQ(n["evidence"]["content_type"], "video/mp4");
  EXPECT_EQ(n["evidence"]["sha256"], sha256Hex(testing::readFile(clip)));
  EXPECT_EQ(n["evidence"]["bytes"], testing::readFile(clip).size());
  EXPECT_EQ(n["evidence"]["topic"], "grid/s1/evidence/" + r.whistle_id);
  EXPECT_EQ(n["evidence"]["frames"], 250);
  uplink_->confirmAll();
  settle();
  // An escalation republishes the whistle with the clip in its evidence.
  clock_.advance(std::chrono::seconds(61));
  io_.restart();
  io_.run_for(std::chrono::milliseconds(300));
  ASSERT_EQ(uplink_->sent.size(), 1u);
  json w = json::parse(uplink_->sent[0].msg.payload);
  EXPECT_EQ(w["escalation"], 1);
  ASSERT_EQ(w["evidence"].size(), 1u);
  EXPECT_EQ(w["evidence"][0], n["evidence"]);
  EXPECT_EQ(counters_.snapshot()["whistle.evidence_attached"], 1);
}

TEST_F(QueueTest, SecondEvidenceGetsTheNextNumberedTopic) {
  std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "photo";
  Incident inc = incident("door_forced");
  inc.evidence.push_back({"snapshot", "image/jpeg", "", jpeg});
  auto r = ctx_.incidents->raise(std::move(inc));
  for (int i = 0; i < 5; ++i) {  // evidence, grid and police, two at a time
    settle();
    uplink_->confirmAll();
  }
  settle();
  ASSERT_TRUE(uplink_->sent.empty());
  std::string error;
  ASSERT_TRUE(ctx_.incidents->attach(r.whistle_id, {"clip", "video/mp4", "", "bytes of a clip"}, {}, &error)) << error;
  settle();
  ASSERT_GE(uplink_->sent.size(), 2u);
  EXPECT_EQ(uplink_->sent[0].msg.topic, "grid/s1/evidence/" + r.whistle_id + "/1");
  EXPECT_EQ(uplink_->sent[0].msg.payload, "bytes of a clip");
}

TEST_F(QueueTest, EvidenceLargerThanTheCapIsAnnouncedWithoutItsBytes) {
  // evidence_max_size: 64KiB. A snapshot over it goes with the whistle as an entry only.
  const std::string big(64 * 1024 + 1, 'j');
  Incident inc = incident("door_held_open", Level::kPriority);
  inc.evidence.push_back({"snapshot", "image/jpeg", "", big});
  auto r = ctx_.incidents->raise(std::move(inc));
  ASSERT_TRUE(r.ok) << r.error;
  settle();
  ASSERT_EQ(sentTopics(), (std::vector<std::string>{"grid/s1/whistle/priority"}));
  const json w = json::parse(uplink_->sent[0].msg.payload);
  ASSERT_EQ(w["evidence"].size(), 1u);
  EXPECT_EQ(w["evidence"][0]["published"], false);
  EXPECT_FALSE(w["evidence"][0].contains("topic"));
  EXPECT_EQ(w["evidence"][0]["sha256"], sha256Hex(big));
  EXPECT_EQ(w["evidence"][0]["bytes"], big.size());
  EXPECT_TRUE(w["evidence"][0].contains("path")) << "kept on the box to be fetched";
  uplink_->confirmAll();
  settle();
  // A clip over the cap: the notice alone. One at the cap: bytes, then notice.
  const std::string clip = dir_.write("clip.avi", std::string(100 * 1024, 'c'));
  std::string error;
  ASSERT_TRUE(ctx_.incidents->attach(r.whistle_id, {"clip", "video/x-msvideo", clip, ""}, {}, &error)) << error;
  settle();
  ASSERT_EQ(sentTopics(), (std::vector<std::string>{"grid/s1/evidence_added/" + r.whistle_id}));
  const json n = json::parse(uplink_->sent[0].msg.payload);
  EXPECT_EQ(n["evidence"]["published"], false);
  EXPECT_EQ(n["evidence"]["path"], clip);
  EXPECT_EQ(n["evidence"]["bytes"], 100 * 1024);
  uplink_->confirmAll();
  settle();
  const std::string fits(64 * 1024, 'm');
  ASSERT_TRUE(ctx_.incidents->attach(r.whistle_id, {"clip", "video/mp4", "", fits}, {}, &error)) << error;
  settle();
  ASSERT_EQ(sentTopics(), (std::vector<std::string>{"grid/s1/evidence/" + r.whistle_id + "/2",
                                                    "grid/s1/evidence_added/" + r.whistle_id}));
  EXPECT_EQ(uplink_->sent[0].msg.payload, fits);
  EXPECT_EQ(counters_.snapshot()["whistle.evidence_withheld"], 2);
}

TEST_F(QueueTest, EvidenceForAnUnknownWhistleOrAMissingFileIsRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(ctx_.incidents->attach("w-nope", {"clip", "video/mp4", "", "x"}, {}, &error));
  EXPECT_NE(error.find("w-nope"), std::string::npos) << error;
  auto r = ctx_.incidents->raise(incident("door_forced"));
  EXPECT_FALSE(ctx_.incidents->attach(r.whistle_id, {"clip", "video/mp4", dir_.file("gone.mp4"), ""}, {}, &error));
  EXPECT_NE(error.find("gone.mp4"), std::string::npos) << error;
  EXPECT_EQ(counters_.snapshot()["whistle.evidence_errors"], 2);
  settle();
  uplink_->confirmAll();
  settle();
  for (const auto& m : uplink_->confirmed) EXPECT_EQ(m.topic.find("evidence"), std::string::npos) << m.topic;
}

TEST_F(QueueTest, ClearingAnOpenIncidentAnnouncesTheEndOfItsWhistle) {
  Incident inc = incident("device_offline");
  inc.incident_key = "device_offline:door-1";
  auto r = ctx_.incidents->raise(std::move(inc));
  settle();
  uplink_->confirmAll();
  settle();
  ctx_.incidents->clear("device_offline:door-1", "device is back");
  ctx_.incidents->clear("device_offline:door-1", "device is back");  // nothing open any more
  ctx_.incidents->clear("never-raised", "x");
  settle();
  ASSERT_EQ(uplink_->sent.size(), 1u);
  EXPECT_EQ(uplink_->sent[0].msg.topic, "grid/s1/cleared/" + r.whistle_id);
  const json n = json::parse(uplink_->sent[0].msg.payload);
  EXPECT_EQ(n["schema"], "shaobing.cleared/1");
  EXPECT_EQ(n["whistle_id"], r.whistle_id);
  EXPECT_EQ(n["type"], "device_offline");
  EXPECT_EQ(n["incident_key"], "device_offline:door-1");
  EXPECT_EQ(n["reason"], "device is back");
  EXPECT_TRUE(n.contains("cleared_at"));
}

TEST_F(QueueTest, MissedAckDeadlineRepublishesSameIdOneLevelUpUntilTheLimit) {
  auto r = ctx_.incidents->raise(incident("door_held_open", Level::kPriority));
  settle();
  uplink_->confirmAll();
  settle();
  clock_.advance(std::chrono::seconds(61));  // priority deadline 60 s
  io_.restart();
  io_.run_for(std::chrono::milliseconds(300));  // lets the periodic check run
  ASSERT_EQ(uplink_->sent.size(), 1u);
  json w = json::parse(uplink_->sent[0].msg.payload);
  EXPECT_EQ(w["id"], r.whistle_id);
  EXPECT_EQ(w["escalation"], 1);
  EXPECT_EQ(w["level"], "emergency");
  EXPECT_EQ(uplink_->sent[0].msg.topic, "grid/s1/whistle/emergency");
  uplink_->confirmAll();
  settle();
  clock_.advance(std::chrono::seconds(31));
  io_.restart();
  io_.run_for(std::chrono::milliseconds(300));
  ASSERT_EQ(uplink_->sent.size(), 1u);
  EXPECT_EQ(json::parse(uplink_->sent[0].msg.payload)["escalation"], 2);
  uplink_->confirmAll();
  settle();
  clock_.advance(std::chrono::seconds(31));
  io_.restart();
  io_.run_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(uplink_->sent.empty());  // escalation_limit: 2
  EXPECT_EQ(queue_->health()["escalations"], 2);
}

TEST_F(QueueTest, AcknowledgedWhistleIsNotEscalated) {
  auto r = ctx_.incidents->raise(incident("door_held_open", Level::kPriority));
  settle();
  uplink_->confirmAll();
  settle();
  uplink_->deliver("grid/s1/ack", json({{"id", r.whistle_id}, {"status", "acknowledged"},
                                        {"department", "property"}, {"by", "w1"}})
                                      .dump());
  clock_.advance(std::chrono::seconds(120));
  io_.restart();
  io_.run_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(uplink_->sent.empty());
  EXPECT_EQ(queue_->health()["acks_applied"], 1);
}

TEST_F(QueueTest, ChangedWhistleSettingsNeedARestart) {
  config::Config same = testConfig(dir_.path().string());
  EXPECT_TRUE(queue_->reconfigure(std::make_shared<const config::Config>(same)));
  config::Config changed = same;
  changed.whistles.escalation_limit = 0;
  EXPECT_FALSE(queue_->reconfigure(std::make_shared<const config::Config>(changed)));
}

TEST_F(QueueTest, MalformedUnknownAndOutOfOrderAcksAreCounted) {
  auto r = ctx_.incidents->raise(incident("tailgating"));
  settle();
  uplink_->deliver("grid/s1/ack", "{{{");
  uplink_->deliver("grid/s1/ack", R"({"status":"acknowledged"})");
  uplink_->deliver("grid/s1/ack", R"({"id":"nope","status":"acknowledged"})");
  uplink_->deliver("grid/s1/ack", json({{"id", r.whistle_id}, {"status", "rated"}, {"rating", 5}}).dump());
  uplink_->deliver("grid/s1/ack", json({{"id", r.whistle_id}, {"status", "done"}}).dump());
  EXPECT_EQ(queue_->health()["ack_errors"], 5);
  EXPECT_EQ(queue_->health()["acks_applied"], 0);
}

}  // namespace
}  // namespace shaobing::whistle
