// Runs a program as a child process for integration tests: stderr and stdout
// go to files so a test can wait for a log line and show them on failure.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shaobing::testing {

class ChildProcess {
 public:
  // Starts argv[0] with the given arguments. `env` entries are added to the
  // environment of the child (overriding inherited ones).
  ChildProcess(std::vector<std::string> argv, const std::string& log_dir,
               std::map<std::string, std::string> env = {});
  ~ChildProcess();  // SIGKILLs a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed), or
  // nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string stderrText() const;
  std::string stdoutText() const;
  // Polls stderr until it contains `needle`.
  bool waitForStderr(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

// Runs a command to completion; returns its exit code and stdout.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult runCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                     const std::string& stdin_text = "");

}  // namespace shaobing::testing
