// The whistle store on its own: drain order, delivery bookkeeping, the ack
// state machine, escalation records, eviction under the size cap, and the
// corrupt-file path. Times are passed in explicitly.
#include "gateway/whistle/store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace shaobing::whistle {
namespace {

using testing::TempDir;

NewWhistle make(const std::string& id, int level, int64_t raised_ms, const std::string& payload = "{}") {
  NewWhistle w;
  w.id = id;
  w.type = "door_forced";
  w.level = level;
  w.doc = payload;
  w.raised_ms = raised_ms;
  w.deadline_ms = raised_ms + 1000;
  w.outgoing.push_back({"grid", "grid/s/whistle/" + std::to_string(level), payload, level});
  return w;
}

std::vector<std::string> ids(const std::vector<Pending>& p) {
  std::vector<std::string> out;
  for (const auto& x : p) out.push_back(x.whistle_id);
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open() { return Store::open(dir_.file("w.db"), &fault_); }
  TempDir dir_;
  std::string fault_;
};

TEST_F(StoreTest, DrainsEmergencyThenPriorityThenRoutineFifoWithinALevel) {
  auto s = open();
  s->insert({make("r1", 0, 1), make("p1", 1, 2), make("e1", 2, 3), make("r2", 0, 4),
             make("e2", 2, 5), make("p2", 1, 6)},
            false);
  EXPECT_EQ(ids(s->due(100, 10, {})),
            (std::vector<std::string>{"e1", "e2", "p1", "p2", "r1", "r2"}));
}

TEST_F(StoreTest, DueSkipsInFlightAndBackingOffRows) {
  auto s = open();
  s->insert({make("a", 2, 1), make("b", 2, 2), make("c", 2, 3)}, true);
  auto all = s->due(100, 10, {});
  s->markRetry(all[1].seq, 5000);
  EXPECT_EQ(ids(s->due(100, 10, {all[0].seq})), (std::vector<std::string>{"c"}));
  EXPECT_EQ(ids(s->due(5000, 10, {all[0].seq})), (std::vector<std::string>{"b", "c"}));
}

TEST_F(StoreTest, GridDeliveryMovesWhistleToDeliveredAndOutOfTheQueue) {
  auto s = open();
  s->insert({make("a", 1, 1)}, false);
  auto due = s->due(10, 10, {});
  ASSERT_EQ(due.size(), 1u);
  s->markDelivered({due[0].seq}, 20);
  EXPECT_TRUE(s->due(30, 10, {}).empty());
  auto row = s->find("a");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, "delivered");
  EXPECT_EQ(row->delivered_ms, 20);
}

TEST_F(StoreTest, QueueSurvivesReopening) {
  {
    auto s = open();
    s->insert({make("a", 0, 1), make("b", 2, 2)}, true);
  }
  auto s = open();
  EXPECT_TRUE(fault_.empty());
  EXPECT_EQ(ids(s->due(10, 10, {})), (std::vector<std::string>{"b", "a"}));
}

TEST_F(StoreTest, AckStateMachineFollowsTheClosedLoop) {
  auto s = open();
  s->insert({make("a", 1, 1)}, false);
  EXPECT_EQ(s->applyAck("a", "acknowledged", 10, std::nullopt, 0), AckOutcome::kApplied);
  EXPECT_EQ(s->applyAck("a", "acknowledged", 11, std::nullopt, 0), AckOutcome::kDuplicate);
  EXPECT_EQ(s->applyAck("a", "rated", 12, 5, 0), AckOutcome::kOutOfOrder);
  EXPECT_EQ(s->applyAck("a", "resolved", 20, std::nullopt, 0), AckOutcome::kApplied);
  EXPECT_EQ(s->applyAck("a", "rated", 30, 2, 0), AckOutcome::kApplied);
  EXPECT_EQ(s->applyAck("a", "reopened", 40, std::nullopt, 9999), AckOutcome::kApplied);
  auto row = s->find("a");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, "delivered");
  EXPECT_EQ(row->reopened, 1);
  EXPECT_EQ(row->deadline_ms, 9999);
  EXPECT_EQ(row->acked_ms, 10);
  EXPECT_FALSE(row->resolved_ms);
}

TEST_F(StoreTest, AckForUnknownIdChangesNothing) {
  auto s = open();
  s->insert({make("a", 1, 1)}, false);
  EXPECT_EQ(s->applyAck("nope", "acknowledged", 10, std::nullopt, 0), AckOutcome::kUnknownId);
  EXPECT_EQ(s->find("a")->state, "raised");
}

TEST_F(StoreTest, OverdueListsOnlyDeliveredUnacknowledgedBelowTheLimit) {
  auto s = open();
  s->insert({make("late", 0, 1), make("acked", 0, 1), make("early", 0, 5000)}, false);
  for (const auto& p : s->due(10, 10, {})) s->markDelivered({p.seq}, 10);
  s->applyAck("acked", "acknowledged", 20, std::nullopt, 0);
  auto od = s->overdue(2000, 2);
  ASSERT_EQ(od.size(), 1u);
  EXPECT_EQ(od[0].id, "late");
  s->escalate("late", 1, 1, "{\"escalation\":1}", 9000,
              {{"grid", "grid/s/whistle/priority", "{\"escalation\":1}", 1}});
  EXPECT_TRUE(s->overdue(2000, 2).empty());  // new deadline, and no longer delivered
  auto due = s->due(2000, 10, {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].level, 1);
  s->markDelivered({due[0].seq}, 2100);
  EXPECT_EQ(s->find("late")->state, "delivered");
  // At 9000 "early" is overdue too; "late" has reached a limit of 1.
  auto at_limit_1 = s->overdue(9000, 1);
  ASSERT_EQ(at_limit_1.size(), 1u);
  EXPECT_EQ(at_limit_1[0].id, "early");
  EXPECT_EQ(s->overdue(9000, 2).size(), 2u);
}

TEST_F(StoreTest, EvictionDropsClosedThenRoutineAndKeepsUndeliveredPriority) {
  auto s = open();
  std::string big(20000, 'x');
  std::vector<NewWhistle> ws;
  for (int i = 0; i < 60; ++i) ws.push_back(make("closed" + std::to_string(i), 2, 100 + i, big));
  for (int i = 0; i < 60; ++i) ws.push_back(make("routine" + std::to_string(i), 0, 200 + i, big));
  for (int i = 0; i < 60; ++i) ws.push_back(make("prio" + std::to_string(i), 1, 300 + i, big));
  s->insert(ws, false);
  for (int i = 0; i < 60; ++i) {
    std::string id = "closed" + std::to_string(i);
    s->applyAck(id, "acknowledged", 1, std::nullopt, 0);
    s->applyAck(id, "resolved", 2, std::nullopt, 0);
  }
  int64_t before = s->usedBytes();
  auto dropped = s->evict(before / 2);
  EXPECT_LE(s->usedBytes(), before / 2);
  ASSERT_FALSE(dropped.empty());
  // Closed ones go first, oldest first; priority ones are never dropped.
  EXPECT_EQ(dropped[0], "closed0");
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(s->find("prio" + std::to_string(i))) << i;
  EXPECT_FALSE(s->find("closed59"));
  EXPECT_FALSE(s->find("routine0"));
}

TEST_F(StoreTest, CorruptFileIsMovedAsideAndAFreshOneStarted) {
  std::string path = dir_.file("w.db");
  {
    std::ofstream f(path, std::ios::binary);
    f << "this is not a database, just junk that fills the header area...........";
  }
  auto s = Store::open(path, &fault_);
  ASSERT_TRUE(s);
  EXPECT_NE(fault_.find("integrity"), std::string::npos) << fault_;
  s->insert({make("a", 0, 1)}, true);
  EXPECT_TRUE(s->find("a"));
  bool aside = false;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().filename().string().rfind("w.db.corrupt-", 0) == 0) aside = true;
  }
  EXPECT_TRUE(aside);
}

TEST(WhistleIdTest, IdsAreUuidV7AndTimeOrdered) {
  std::string a = newWhistleId(1700000000000);
  std::string b = newWhistleId(1700000000000);
  std::string c = newWhistleId(1700000000001);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a.substr(0, 8), "018bcfe5");  // 1700000000000 ms = 0x18bcfe56800
}

}  // namespace
}  // namespace shaobing::whistle
