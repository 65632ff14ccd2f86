// SQLite whistle store; see store.h. Schema version in PRAGMA user_version.
#include "gateway/whistle/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <random>
#include <stdexcept>

namespace shaobing::whistle {

namespace {

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + ": " + sql);
    }
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bindNull(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  void run() {
    step();
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  int64_t i64(int c) const { return sqlite3_column_int64(st_, c); }
  bool isNull(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  std::optional<int64_t> opt(int c) const {
    if (isNull(c)) return std::nullopt;
    return i64(c);
  }
  std::string text(int c) const {
    const void* p = sqlite3_column_blob(st_, c);
    int n = sqlite3_column_bytes(st_, c);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

const char* kWhistleCols =
    "id, type, state, doc, incident_key, level, escalation, reopened, raised_ms, deadline_ms, "
    "delivered_ms, acked_ms, resolved_ms, rated_ms, rating";

WhistleRow readRow(const Stmt& s) {
  WhistleRow r;
  r.id = s.text(0);
  r.type = s.text(1);
  r.state = s.text(2);
  r.doc = s.text(3);
  r.incident_key = s.text(4);
  r.level = static_cast<int>(s.i64(5));
  r.escalation = static_cast<int>(s.i64(6));
  r.reopened = static_cast<int>(s.i64(7));
  r.raised_ms = s.i64(8);
  r.deadline_ms = s.i64(9);
  r.delivered_ms = s.opt(10);
  r.acked_ms = s.opt(11);
  r.resolved_ms = s.opt(12);
  r.rated_ms = s.opt(13);
  if (auto v = s.opt(14)) r.rating = static_cast<int>(*v);
  return r;
}

sqlite3* openDb(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path + ": " + err);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

// "ok" or the first problem integrity_check reports (or the error hit).
std::string integrity(sqlite3* db) {
  try {
    Stmt s(db, "PRAGMA integrity_check");
    if (!s.step()) return "no result";
    return s.text(0);
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

const char* toString(AckOutcome o) {
  switch (o) {
    case AckOutcome::kApplied:
      return "applied";
    case AckOutcome::kDuplicate:
      return "duplicate";
    case AckOutcome::kUnknownId:
      return "unknown_id";
    case AckOutcome::kOutOfOrder:
      return "out_of_order";
  }
  return "?";
}

Store::Store(sqlite3* db) : db_(db) {}
Store::~Store() { sqlite3_close(db_); }

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(std::string("sqlite: ") + msg + ": " + sql);
  }
}

std::unique_ptr<Store> Store::open(const std::string& path, std::string* fault) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  std::string problem;
  try {
    sqlite3* db = openDb(path, flags);
    problem = integrity(db);
    if (problem == "ok") {
      std::unique_ptr<Store> s(new Store(db));
      s->migrate();
      return s;
    }
    sqlite3_close(db);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  // Corrupt: keep the file for inspection, start fresh, tell the caller.
  std::string aside =
      path + ".corrupt-" +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  fs::rename(path, aside, ec);
  for (const char* suffix : {"-wal", "-shm"}) {
    fs::rename(path + suffix, aside + suffix, ec);
  }
  if (fault) *fault = "whistle database " + path + " failed its integrity check (" + problem +
                      "); moved to " + aside;
  sqlite3* db = openDb(path, flags);
  std::unique_ptr<Store> s(new Store(db));
  s->migrate();
  return s;
}

std::unique_ptr<Store> Store::openReadOnly(const std::string& path) {
  sqlite3* db = openDb(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX);
  return std::unique_ptr<Store>(new Store(db));
}

void Store::migrate() {
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  int version = 0;
  {
    Stmt s(db_, "PRAGMA user_version");
    if (s.step()) version = static_cast<int>(s.i64(0));
  }
  if (version > kSchemaVersion) {
    throw std::runtime_error("whistle database schema " + std::to_string(version) +
                             " is newer than this build (" + std::to_string(kSchemaVersion) + ")");
  }
  if (version < 1) {
    exec("BEGIN IMMEDIATE");
    exec(
        "CREATE TABLE whistles ("
        " id TEXT PRIMARY KEY, type TEXT NOT NULL, state TEXT NOT NULL, doc TEXT NOT NULL,"
        " incident_key TEXT NOT NULL DEFAULT '', level INTEGER NOT NULL,"
        " escalation INTEGER NOT NULL DEFAULT 0, reopened INTEGER NOT NULL DEFAULT 0,"
        " raised_ms INTEGER NOT NULL, deadline_ms INTEGER NOT NULL, key_open INTEGER NOT NULL DEFAULT 0,"
        " delivered_ms INTEGER, acked_ms INTEGER, resolved_ms INTEGER, rated_ms INTEGER, rating INTEGER);"
        "CREATE INDEX whistles_raised ON whistles(raised_ms);"
        "CREATE INDEX whistles_key ON whistles(incident_key) WHERE key_open = 1;"
        "CREATE TABLE outgoing ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT, whistle_id TEXT NOT NULL, destination TEXT NOT NULL,"
        " escalation INTEGER NOT NULL, level INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,"
        " done INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
        " next_ms INTEGER NOT NULL DEFAULT 0, done_ms INTEGER);"
        "CREATE INDEX outgoing_due ON outgoing(done, level DESC, seq);"
        "CREATE INDEX outgoing_whistle ON outgoing(whistle_id);"
        "PRAGMA user_version = 1;");
    exec("COMMIT");
  }
}

void Store::insert(const std::vector<NewWhistle>& whistles, bool full_sync) {
  std::lock_guard lock(mu_);
  if (full_sync) exec("PRAGMA synchronous=FULL");
  try {
    exec("BEGIN IMMEDIATE");
    Stmt w(db_,
           "INSERT INTO whistles (id, type, state, doc, incident_key, level, raised_ms, deadline_ms,"
           " key_open) VALUES (?1, ?2, 'raised', ?3, ?4, ?5, ?6, ?7, ?8)");
    Stmt o(db_,
           "INSERT INTO outgoing (whistle_id, destination, escalation, level, topic, payload)"
           " VALUES (?1, ?2, 0, ?3, ?4, ?5)");
    for (const auto& nw : whistles) {
      w.bind(1, nw.id).bind(2, nw.type).bind(3, nw.doc).bind(4, nw.incident_key);
      w.bind(5, nw.level).bind(6, nw.raised_ms).bind(7, nw.deadline_ms);
      w.bind(8, int64_t{nw.incident_key.empty() ? 0 : 1});
      w.run();
      for (const auto& out : nw.outgoing) {
        o.bind(1, nw.id).bind(2, out.destination).bind(3, out.level).bind(4, out.topic);
        o.bindBlob(5, out.payload);
        o.run();
      }
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (full_sync) sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    throw;
  }
  if (full_sync) exec("PRAGMA synchronous=NORMAL");
}

std::vector<Pending> Store::due(int64_t now_ms, size_t limit, const std::set<int64_t>& in_flight) {
  std::lock_guard lock(mu_);
  std::vector<Pending> out;
  Stmt s(db_,
         "SELECT seq, whistle_id, destination, topic, payload, level, attempts FROM outgoing"
         " WHERE done = 0 ORDER BY level DESC, seq LIMIT ?1");
  // Read a little more than asked so in-flight and backing-off rows do not
  // starve the window.
  s.bind(1, static_cast<int64_t>(limit + in_flight.size() + 256));
  Stmt next(db_, "SELECT next_ms FROM outgoing WHERE seq = ?1");
  while (out.size() < limit && s.step()) {
    int64_t seq = s.i64(0);
    if (in_flight.count(seq)) continue;
    next.bind(1, seq);
    bool waiting = next.step() && next.i64(0) > now_ms;
    next.run();
    if (waiting) continue;
    out.push_back({seq, s.text(1), s.text(2), s.text(3), s.text(4), static_cast<int>(s.i64(5)),
                   static_cast<int>(s.i64(6))});
  }
  return out;
}

void Store::markDelivered(const std::vector<int64_t>& seqs, int64_t now_ms) {
  if (seqs.empty()) return;
  std::lock_guard lock(mu_);
  exec("BEGIN IMMEDIATE");
  try {
    Stmt o(db_, "UPDATE outgoing SET done = 1, done_ms = ?2 WHERE seq = ?1");
    Stmt which(db_, "SELECT whistle_id, escalation FROM outgoing WHERE seq = ?1 AND destination = 'grid'");
    Stmt w(db_,
           "UPDATE whistles SET state = 'delivered', delivered_ms = COALESCE(delivered_ms, ?2)"
           " WHERE id = ?1 AND state = 'raised' AND escalation = ?3");
    for (int64_t seq : seqs) {
      o.bind(1, seq).bind(2, now_ms);
      o.run();
      which.bind(1, seq);
      if (which.step()) {
        w.bind(1, which.text(0)).bind(2, now_ms).bind(3, which.i64(1));
        w.run();
      }
      which.run();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void Store::markRetry(int64_t seq, int64_t next_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE outgoing SET attempts = attempts + 1, next_ms = ?2 WHERE seq = ?1");
  s.bind(1, seq).bind(2, next_ms);
  s.run();
}

AckOutcome Store::applyAck(const std::string& id, const std::string& status, int64_t at_ms,
                           std::optional<int> rating, int64_t deadline_after_reopen_ms) {
  std::lock_guard lock(mu_);
  std::string state;
  {
    Stmt s(db_, "SELECT state FROM whistles WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) return AckOutcome::kUnknownId;
    state = s.text(0);
  }
  // The platform may acknowledge before our PUBACK bookkeeping has run, so
  // "raised" counts as delivered for an acknowledgement.
  auto from = [&](std::initializer_list<const char*> states) {
    for (const char* st : states) {
      if (state == st) return true;
    }
    return false;
  };
  const char* sql = nullptr;
  if (status == "acknowledged") {
    if (state == "acknowledged") return AckOutcome::kDuplicate;
    if (!from({"raised", "delivered"})) return AckOutcome::kOutOfOrder;
    sql = "UPDATE whistles SET state = 'acknowledged', acked_ms = COALESCE(acked_ms, ?2),"
          " delivered_ms = COALESCE(delivered_ms, ?2) WHERE id = ?1";
  } else if (status == "resolved") {
    if (state == "resolved") return AckOutcome::kDuplicate;
    if (!from({"acknowledged"})) return AckOutcome::kOutOfOrder;
    sql = "UPDATE whistles SET state = 'resolved', resolved_ms = ?2, key_open = 0 WHERE id = ?1";
  } else if (status == "rated") {
    if (state == "rated") return AckOutcome::kDuplicate;
    if (!from({"resolved"})) return AckOutcome::kOutOfOrder;
    sql = "UPDATE whistles SET state = 'rated', rated_ms = ?2, rating = ?3 WHERE id = ?1";
  } else if (status == "reopened") {
    if (!from({"resolved", "rated"})) return AckOutcome::kOutOfOrder;
    // Back to waiting for a department to report in, with a fresh deadline.
    sql = "UPDATE whistles SET state = 'delivered', reopened = reopened + 1, resolved_ms = NULL,"
          " rated_ms = NULL, deadline_ms = ?4, rating = COALESCE(?3, rating) WHERE id = ?1";
  } else {
    return AckOutcome::kOutOfOrder;
  }
  Stmt u(db_, sql);
  u.bind(1, id).bind(2, at_ms);
  if (rating) {
    u.bind(3, int64_t{*rating});
  } else {
    u.bindNull(3);
  }
  if (status == "reopened") u.bind(4, deadline_after_reopen_ms);
  u.run();
  return AckOutcome::kApplied;
}

std::vector<WhistleRow> Store::overdue(int64_t now_ms, int escalation_limit) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kWhistleCols +
                    " FROM whistles WHERE state = 'delivered' AND deadline_ms <= ?1"
                    " AND escalation < ?2 ORDER BY deadline_ms";
  Stmt s(db_, sql.c_str());
  s.bind(1, now_ms).bind(2, int64_t{escalation_limit});
  std::vector<WhistleRow> out;
  while (s.step()) out.push_back(readRow(s));
  return out;
}

void Store::escalate(const std::string& id, int new_level, int new_escalation,
                     const std::string& doc, int64_t deadline_ms,
                     const std::vector<Outgoing>& outgoing) {
  std::lock_guard lock(mu_);
  exec("BEGIN IMMEDIATE");
  try {
    Stmt w(db_,
           "UPDATE whistles SET level = ?2, escalation = ?3, doc = ?4, deadline_ms = ?5,"
           " state = 'raised' WHERE id = ?1");
    w.bind(1, id).bind(2, new_level).bind(3, new_escalation).bind(4, doc).bind(5, deadline_ms);
    w.run();
    Stmt o(db_,
           "INSERT INTO outgoing (whistle_id, destination, escalation, level, topic, payload)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const auto& out : outgoing) {
      o.bind(1, id).bind(2, out.destination).bind(3, new_escalation).bind(4, out.level);
      o.bind(5, out.topic).bindBlob(6, out.payload);
      o.run();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

bool Store::amend(const std::string& id, const std::function<std::vector<Outgoing>(WhistleRow& row)>& fn) {
  std::lock_guard lock(mu_);
  exec("BEGIN IMMEDIATE");
  try {
    std::optional<WhistleRow> found;
    {
      std::string sql = std::string("SELECT ") + kWhistleCols + " FROM whistles WHERE id = ?1";
      Stmt s(db_, sql.c_str());
      s.bind(1, id);
      if (s.step()) found = readRow(s);
    }
    if (!found) {
      exec("ROLLBACK");
      return false;
    }
    WhistleRow& row = *found;
    std::vector<Outgoing> outgoing = fn(row);
    Stmt w(db_, "UPDATE whistles SET doc = ?2 WHERE id = ?1");
    w.bind(1, id).bind(2, row.doc);
    w.run();
    Stmt o(db_,
           "INSERT INTO outgoing (whistle_id, destination, escalation, level, topic, payload)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const auto& out : outgoing) {
      o.bind(1, id).bind(2, out.destination).bind(3, row.escalation).bind(4, out.level);
      o.bind(5, out.topic).bindBlob(6, out.payload);
      o.run();
    }
    exec("COMMIT");
    return true;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<std::string> Store::openForKey(const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id FROM whistles WHERE incident_key = ?1 AND key_open = 1 LIMIT 1");
  s.bind(1, key);
  if (s.step()) return s.text(0);
  return std::nullopt;
}

void Store::clearKey(const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE whistles SET key_open = 0 WHERE incident_key = ?1 AND key_open = 1");
  s.bind(1, key);
  s.run();
}

int64_t Store::usedBytes() {
  std::lock_guard lock(mu_);
  Stmt pc(db_, "PRAGMA page_count");
  Stmt fl(db_, "PRAGMA freelist_count");
  Stmt ps(db_, "PRAGMA page_size");
  pc.step();
  fl.step();
  ps.step();
  return (pc.i64(0) - fl.i64(0)) * ps.i64(0);
}

std::vector<std::string> Store::evict(int64_t max_bytes) {
  std::vector<std::string> dropped;
  // Closed first (oldest first), then undelivered routine (oldest first).
  const char* pick[] = {
      "SELECT id FROM whistles WHERE state IN ('resolved', 'rated') ORDER BY raised_ms LIMIT 64",
      "SELECT id FROM whistles w WHERE level = 0 AND EXISTS (SELECT 1 FROM outgoing o"
      " WHERE o.whistle_id = w.id AND o.done = 0) AND NOT EXISTS (SELECT 1 FROM outgoing o"
      " WHERE o.whistle_id = w.id AND o.level > 0 AND o.done = 0) ORDER BY raised_ms LIMIT 64",
  };
  for (const char* sql : pick) {
    while (usedBytes() > max_bytes) {
      std::lock_guard lock(mu_);
      std::vector<std::string> ids;
      {
        Stmt s(db_, sql);
        while (s.step()) ids.push_back(s.text(0));
      }
      if (ids.empty()) break;
      exec("BEGIN IMMEDIATE");
      Stmt dw(db_, "DELETE FROM whistles WHERE id = ?1");
      Stmt dout(db_, "DELETE FROM outgoing WHERE whistle_id = ?1");
      for (const auto& id : ids) {
        dw.bind(1, id);
        dw.run();
        dout.bind(1, id);
        dout.run();
        dropped.push_back(id);
      }
      exec("COMMIT");
    }
  }
  return dropped;
}

std::optional<WhistleRow> Store::find(const std::string& id) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kWhistleCols + " FROM whistles WHERE id = ?1";
  Stmt s(db_, sql.c_str());
  s.bind(1, id);
  if (s.step()) return readRow(s);
  return std::nullopt;
}

std::vector<WhistleRow> Store::list(int64_t since_ms, size_t limit) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kWhistleCols +
                    " FROM whistles WHERE raised_ms >= ?1 ORDER BY raised_ms, id LIMIT ?2";
  Stmt s(db_, sql.c_str());
  s.bind(1, since_ms).bind(2, static_cast<int64_t>(limit));
  std::vector<WhistleRow> out;
  while (s.step()) out.push_back(readRow(s));
  return out;
}

std::vector<std::pair<std::string, int64_t>> Store::depth() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT destination, level, COUNT(*) FROM outgoing WHERE done = 0"
         " GROUP BY destination, level");
  static const char* kNames[] = {"routine", "priority", "emergency"};
  std::vector<std::pair<std::string, int64_t>> out;
  while (s.step()) {
    int level = static_cast<int>(s.i64(1));
    out.emplace_back(s.text(0) + "/" + kNames[level < 0 || level > 2 ? 0 : level], s.i64(2));
  }
  return out;
}

std::string newWhistleId(int64_t unix_ms) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static int64_t last_ms = -1;
  static uint16_t counter = 0;
  std::lock_guard lock(mu);
  if (unix_ms <= last_ms) {
    unix_ms = last_ms;
    if (++counter >= 0x1000) {  // 12-bit sequence exhausted: borrow the next ms
      ++unix_ms;
      counter = 0;
    }
  } else {
    counter = static_cast<uint16_t>(rng() & 0x7ff);  // random start, room to count up
  }
  last_ms = unix_ms;
  uint8_t b[16];
  uint64_t ms = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<uint8_t>(0x70 | ((counter >> 8) & 0x0f));
  b[7] = static_cast<uint8_t>(counter & 0xff);
  uint64_t r = rng();
  b[8] = static_cast<uint8_t>(0x80 | (r & 0x3f));
  for (int i = 9; i < 16; ++i) b[i] = static_cast<uint8_t>(r >> (8 * (i - 8)));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

}  // namespace shaobing::whistle
