// The whistle store: SQLite (WAL) holding every whistle, its outgoing
// publishes per destination and its closed-loop state. It is the outgoing
// queue: nothing is published that is not stored here first. One writer
// connection guarded by a mutex; safe to call from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

struct sqlite3;

namespace shaobing::whistle {

// One publish a whistle needs: the whistle to one destination, or a piece
// of evidence (published before the whistle).
struct Outgoing {
  std::string destination;  // "grid", "police", ..., or "evidence"
  std::string topic;
  std::string payload;
  int level = 0;  // 0 routine .. 2 emergency: drain order
};

struct NewWhistle {
  std::string id;
  std::string type;
  int level = 0;
  std::string doc;  // the whistle JSON as published
  int64_t raised_ms = 0;
  int64_t deadline_ms = 0;  // acknowledgement deadline
  std::string incident_key;
  std::vector<Outgoing> outgoing;
};

struct Pending {
  int64_t seq = 0;
  std::string whistle_id;
  std::string destination;
  std::string topic;
  std::string payload;
  int level = 0;
  int attempts = 0;
};

enum class AckOutcome { kApplied, kDuplicate, kUnknownId, kOutOfOrder };
const char* toString(AckOutcome o);

struct WhistleRow {
  std::string id, type, state, doc, incident_key;
  int level = 0, escalation = 0, reopened = 0;
  int64_t raised_ms = 0, deadline_ms = 0;
  std::optional<int64_t> delivered_ms, acked_ms, resolved_ms, rated_ms;
  std::optional<int> rating;
};

class Store {
 public:
  // Opens (creating or migrating) the database. When the file fails
  // `PRAGMA integrity_check` or cannot be opened as a database it is moved
  // aside to PATH.corrupt-<ms> and a fresh one is started; `fault` then says
  // what happened. Throws std::runtime_error only when no database can be
  // created at all.
  static std::unique_ptr<Store> open(const std::string& path, std::string* fault);
  // Read-only access for tools (works while the daemon writes).
  static std::unique_ptr<Store> openReadOnly(const std::string& path);
  ~Store();

  static constexpr int kSchemaVersion = 1;

  // Stores whistles and their publishes in one transaction. `full_sync`:
  // the commit is fsynced (synchronous=FULL) before returning.
  void insert(const std::vector<NewWhistle>& whistles, bool full_sync);

  // Undelivered publishes due at `now_ms`, emergency first then FIFO,
  // excluding those in `in_flight`.
  std::vector<Pending> due(int64_t now_ms, size_t limit, const std::set<int64_t>& in_flight);
  // Marks publishes confirmed by the broker; whistles whose grid publish of
  // their current escalation is confirmed move raised -> delivered.
  void markDelivered(const std::vector<int64_t>& seqs, int64_t now_ms);
  void markRetry(int64_t seq, int64_t next_ms);

  // Applies a platform acknowledgement (closed loop). `deadline_after_reopen_ms`
  // is the new ack deadline when the status is "reopened".
  AckOutcome applyAck(const std::string& id, const std::string& status, int64_t at_ms,
                      std::optional<int> rating, int64_t deadline_after_reopen_ms);

  // Delivered-but-unacknowledged whistles past their deadline with
  // escalation < limit.
  std::vector<WhistleRow> overdue(int64_t now_ms, int escalation_limit);
  // Records escalation and stores its publishes (same transaction).
  void escalate(const std::string& id, int new_level, int new_escalation, const std::string& doc,
                int64_t deadline_ms, const std::vector<Outgoing>& outgoing);

  // The open whistle raised for `incident_key`, if any; clear() forgets it.
  // Amends a stored whistle in one transaction: `fn` may change row.doc and
  // returns publishes to queue for it (at the whistle's current escalation).
  // False when there is no such whistle.
  bool amend(const std::string& id, const std::function<std::vector<Outgoing>(WhistleRow& row)>& fn);

  std::optional<std::string> openForKey(const std::string& key);
  void clearKey(const std::string& key);

  // Bytes in use (pages not on the free list).
  int64_t usedBytes();
  // Frees space down to `max_bytes`: closed whistles first (oldest first),
  // then the oldest undelivered routine whistles. Never drops an undelivered
  // priority or emergency whistle. Returns the ids dropped.
  std::vector<std::string> evict(int64_t max_bytes);

  std::optional<WhistleRow> find(const std::string& id);
  std::vector<WhistleRow> list(int64_t since_ms, size_t limit);
  // Undelivered publishes by "<destination>/<level>".
  std::vector<std::pair<std::string, int64_t>> depth();

 private:
  explicit Store(sqlite3* db);
  void exec(const char* sql);
  void migrate();
  sqlite3* db_;
  std::mutex mu_;
};

// Time-ordered UUIDv7 (RFC 9562): 48-bit ms timestamp, then random bits;
// monotonic within a process.
std::string newWhistleId(int64_t unix_ms);

}  // namespace shaobing::whistle
