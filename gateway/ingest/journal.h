// The inbound journal: every device message, appended to SQLite before the
// broker gets its PUBACK, marked once processed, replayed at start if it
// was not. The same file keeps the rules' persistent state. Thread-safe:
// one connection serialized by a mutex (appends come from Paho's thread,
// the rest from the io thread).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/rules/state_store.h"

namespace shaobing::ingest {

class Journal : public rules::StateStore {
 public:
  explicit Journal(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      std::string err = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open inbound journal " + path + ": " + err);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    // NORMAL: a committed row survives a crash of the daemon (the case the
    // PUBACK timing is about); power loss may cost the last commits.
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
         " payload BLOB NOT NULL, received_ms INTEGER NOT NULL, processed INTEGER NOT NULL DEFAULT 0)");
    exec("CREATE INDEX IF NOT EXISTS inbox_pending ON inbox(processed, id)");
    exec("CREATE TABLE IF NOT EXISTS rule_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    prepare(&insert_, "INSERT INTO inbox (topic, payload, received_ms) VALUES (?, ?, ?)");
    prepare(&done_, "UPDATE inbox SET processed = 1 WHERE id = ?");
    prepare(&put_, "INSERT OR REPLACE INTO rule_state (key, value) VALUES (?, ?)");
    prepare(&erase_, "DELETE FROM rule_state WHERE key = ?");
  }

  ~Journal() override {
    for (auto* s : {insert_, done_, put_, erase_}) sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  // Returns the row id, or 0 when the write failed.
  int64_t append(const std::string& topic, const std::string& payload, int64_t received_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_reset(insert_);
    sqlite3_bind_text(insert_, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert_, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert_, 3, received_ms);
    if (sqlite3_step(insert_) != SQLITE_DONE) return 0;
    return sqlite3_last_insert_rowid(db_);
  }

  void markProcessed(const std::vector<int64_t>& ids) {
    if (ids.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    exec("BEGIN IMMEDIATE");
    for (int64_t id : ids) {
      sqlite3_reset(done_);
      sqlite3_bind_int64(done_, 1, id);
      sqlite3_step(done_);
    }
    exec("COMMIT");
  }

  struct Row {
    int64_t id;
    std::string topic, payload;
    int64_t received_ms;
  };
  std::vector<Row> pending() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Row> out;
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "SELECT id, topic, payload, received_ms FROM inbox WHERE processed = 0 ORDER BY id",
                       -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) {
      Row r;
      r.id = sqlite3_column_int64(s, 0);
      r.topic = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
      r.payload.assign(static_cast<const char*>(sqlite3_column_blob(s, 2)),
                       static_cast<size_t>(sqlite3_column_bytes(s, 2)));
      r.received_ms = sqlite3_column_int64(s, 3);
      out.push_back(std::move(r));
    }
    sqlite3_finalize(s);
    return out;
  }

  // Keeps the newest `keep` processed rows (an audit trail), drops older ones.
  void prune(int64_t keep) {
    std::lock_guard<std::mutex> lock(mu_);
    exec("DELETE FROM inbox WHERE processed = 1 AND id < (SELECT COALESCE(MAX(id), 0) FROM inbox) - " +
         std::to_string(keep));
  }

  void put(const std::string& key, const std::string& value) override {
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_reset(put_);
    sqlite3_bind_text(put_, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(put_, 2, value.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(put_);
  }
  void erase(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_reset(erase_);
    sqlite3_bind_text(erase_, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(erase_);
  }
  std::map<std::string, std::string> load(const std::string& prefix) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::string> out;
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "SELECT key, value FROM rule_state WHERE substr(key, 1, ?) = ?", -1, &s, nullptr);
    sqlite3_bind_int(s, 1, static_cast<int>(prefix.size()));
    sqlite3_bind_text(s, 2, prefix.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(s) == SQLITE_ROW) {
      out[reinterpret_cast<const char*>(sqlite3_column_text(s, 0))] =
          reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      throw std::runtime_error("inbound journal: " + msg + " in: " + sql);
    }
  }
  void prepare(sqlite3_stmt** s, const char* sql) {
    if (sqlite3_prepare_v2(db_, sql, -1, s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("inbound journal: ") + sqlite3_errmsg(db_));
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt *insert_ = nullptr, *done_ = nullptr, *put_ = nullptr, *erase_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace shaobing::ingest
